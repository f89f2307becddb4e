;; shape returns i32 instead of the packed i64 (refused: export_type).
(module
  (memory (export "memory") 1)
  (func (export "agentshape_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "shape") (param i32 i32) (result i32) (local.get 1)))
