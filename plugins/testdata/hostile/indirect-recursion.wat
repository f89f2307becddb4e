;; hostile: fib(60) again, but every recursive call goes through the function
;; table (call_indirect), so no direct call reveals the cycle and no loop
;; exists. The host must still place a timeout check on the entry (ErrTimeout).
(module
  (type $fn (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (table 1 funcref)
  (elem (i32.const 0) $fib)
  (func (export "agentshape_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call_indirect (type $fn) (i32.sub (local.get $n) (i32.const 1)) (i32.const 0))
                     (call_indirect (type $fn) (i32.sub (local.get $n) (i32.const 2)) (i32.const 0))))))
  (func (export "shape") (param i32 i32) (result i64)
    (i64.extend_i32_u (call_indirect (type $fn) (i32.const 60) (i32.const 0))))
)
