/**
 * A model folder's files as the recommender reads them: the small files every load reads first, and each dtype's
 * generation graph. The browser encoder, the Node tools, `npm run deploy` and the demo's build name them from here.
 */

/** Read before any graph, in this order (the browser encoder reads them side by side and takes them so). */
export const MODEL_TEXT_FILES = ['config.json', 'prompt-template.json', 'tokenizer_config.json', 'tokenizer.json'] as const;

/** Each dtype's generation graph: what a memory is built with, and the graph a load falls back to last. */
export const GENERATION_GRAPHS = { fp32: 'onnx/model.onnx', q4: 'onnx/model_q4.onnx', q4f16: 'onnx/model_q4f16.onnx' } as const;
