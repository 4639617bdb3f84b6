; Names bound to values: module constants and env lookups (`HOST = os.getenv("HOST", "user")`), client
; objects (`session = requests.Session()`, `self.client = httpx.Client(timeout=5)`), with-statement targets
; (`async with aiohttp.ClientSession() as session:`) and Flask config (`app.config["SESSION_TYPE"] = ...`).
(assignment
  left: (_) @left
  right: (_) @right) @assignment
(with_item
  value: (as_pattern
    (_) @right
    alias: (as_pattern_target (identifier) @left))) @assignment
