"""The env compiler: config repo fragments -> one fully resolved, safely quoted env file.

Pure functions (no Docker, no Invoke): `compile_env` reads the files and resolves
every value; `render_env_file` writes them. The shell is tasks/env.py.
"""
from symphony.core.envcompiler.compile import compile_env
from symphony.core.envcompiler.model import CompiledEnv, Definition, EnvError
from symphony.core.envcompiler.writer import render_env_file

__all__ = ["CompiledEnv", "Definition", "EnvError", "compile_env", "render_env_file"]
