"""The HTTP server around the application: uvicorn, with what a connection may cost bounded.

uvicorn's httptools protocol reads a request head of any size and waits for any client for ever;
``protocole.py`` bounds both while the bytes arrive (431, 414, 408, as problem documents), and
``lancement.py`` is the one construction every real process uses (``passerelle serve``, the
demonstration, the tests that start processes, the benches).
"""
