from .server import run_stdio

run_stdio()
