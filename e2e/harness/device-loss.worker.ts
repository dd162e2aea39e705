/**
 * The recommender worker with a test handle on its WebGPU devices: every
 * device it requests is kept, and a { l2dTest: 'lose-device' } message
 * destroys them, as a GPU reset or a driver update would take them away.
 * (A static import: the worker asks for devices only in load(), after this
 * module's patch is in place, and its Comlink listener exists before the
 * first message.)
 */
import '../../workers/l2d.worker.ts';

const devices: GPUDevice[] = [];
const requestDevice = GPUAdapter.prototype.requestDevice;
GPUAdapter.prototype.requestDevice = async function (this: GPUAdapter, descriptor?: GPUDeviceDescriptor) {
  const device = await requestDevice.call(this, descriptor);
  devices.push(device);
  return device;
};
self.addEventListener('message', (event: MessageEvent) => {
  if ((event.data as { l2dTest?: string })?.l2dTest === 'lose-device') for (const device of devices.splice(0)) device.destroy();
});
