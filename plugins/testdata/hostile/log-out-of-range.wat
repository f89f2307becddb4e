;; hostile: calls agentshape.log with five ranges that are not inside its
;; memory: (0, 0xffffffff) — a length of -1 —, (65536, 16) just past the end,
;; (0xfffffff0, 32) which wraps a 32-bit address, (65530, 100) across the end,
;; and (256, 65536) which starts inside but is too long. ABI §3: each is ignored
;; with a warning; no byte of memory may reach the log (address 0 holds a
;; marker that must never be logged). Then answers {"request":{"ok":true}}.
(module
  (import "agentshape" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "MEMORY-AT-ADDR-0")
  (data (i32.const 256) "MEMORY-AT-ADDR-256")
  (data (i32.const 16) "{\"request\":{\"ok\":true}}") ;; 23 bytes
  (func (export "agentshape_abi_v1"))
  (func (export "alloc") (param $size i32) (result i32)
    (local $end i32)
    (local.set $end (i32.add (i32.const 1024) (local.get $size)))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then (if (i32.eq (memory.grow (i32.sub (i32.add (i32.shr_u (local.get $end) (i32.const 16)) (i32.const 1)) (memory.size)))
                        (i32.const -1))
              (then unreachable))))
    (i32.const 1024))
  (func (export "shape") (param i32 i32) (result i64)
    (call $log (i32.const 3) (i32.const 0) (i32.const -1))
    (call $log (i32.const 3) (i32.const 65536) (i32.const 16))
    (call $log (i32.const 3) (i32.const 0xfffffff0) (i32.const 32))
    (call $log (i32.const 3) (i32.const 65530) (i32.const 100))
    (call $log (i32.const 3) (i32.const 256) (i32.const 65536))
    (i64.const 0x0000001000000017))
)
