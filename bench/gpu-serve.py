"""Static server for the GPU benchmark page on the GPU machine (no Node there): serves the
repository root on 127.0.0.1:PORT with the isolation headers the dev server sends (so that
onnxruntime-web's wasm gets its threads, as in `npm run bench:gpu-smoke`), and writes the
body of each POST to /result to RESULT_FILE (the page posts its whole result after every stage).

    python3 bench/gpu-serve.py ROOT RESULT_FILE [PORT=8765]
"""
import http.server
import os
import sys

root = os.path.abspath(sys.argv[1])
result_file = sys.argv[2]
port = int(sys.argv[3]) if len(sys.argv) > 3 else 8765


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".json": "application/json",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=root, **kwargs)

    def end_headers(self):
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_POST(self):
        if self.path != "/result":
            self.send_error(404)
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        # Written whole, then renamed: a reader never sees half a result.
        with open(result_file + ".tmp", "wb") as f:
            f.write(body)
        os.replace(result_file + ".tmp", result_file)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
