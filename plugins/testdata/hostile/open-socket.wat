;; hostile: tries to use a socket through WASI: sock_accept(3) (a listener the
;; host never gives) and sock_recv(3). Both must fail. The plugin reports what it
;; saw: {"error":{"code":"denied","message":"sock_accept=NN sock_recv=NN"}};
;; if either succeeded it answers {"request":{"leaked":true}}.
(module
  (import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_recv" (func $recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"error\":{\"code\":\"denied\",\"message\":\"sock_accept=NN sock_recv=NN\"}}")
  (data (i32.const 144) "{\"request\":{\"leaked\":true}}")
  (func (export "agentshape_abi_v1"))
  ;; alloc: the envelope always goes to 1024 (grown into place when needed).
  (func (export "alloc") (param $size i32) (result i32)
    (local $end i32)
    (local.set $end (i32.add (i32.const 1024) (local.get $size)))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then (if (i32.eq (memory.grow (i32.sub (i32.add (i32.shr_u (local.get $end) (i32.const 16)) (i32.const 1)) (memory.size)))
                        (i32.const -1))
              (then unreachable))))
    (i32.const 1024))
  ;; put2(addr, v): v as two decimal digits at addr.
  (func $put2 (param $a i32) (param $v i32)
    (i32.store8 (local.get $a) (i32.add (i32.const 48) (i32.rem_u (i32.div_u (local.get $v) (i32.const 10)) (i32.const 10))))
    (i32.store8 (i32.add (local.get $a) (i32.const 1)) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10)))))
  (func (export "shape") (param i32 i32) (result i64)
    (local $e1 i32) (local $e2 i32)
    (local.set $e1 (call $accept (i32.const 3) (i32.const 0) (i32.const 512)))
    (i32.store (i32.const 528) (i32.const 640)) (i32.store (i32.const 532) (i32.const 64))
    (local.set $e2 (call $recv (i32.const 3) (i32.const 528) (i32.const 1) (i32.const 0) (i32.const 536) (i32.const 540)))
    (if (i32.or (i32.eqz (local.get $e1)) (i32.eqz (local.get $e2)))
      (then (return (i64.const 0x000000900000001b))))
    (call $put2 (i32.const 65) (local.get $e1))
    (call $put2 (i32.const 78) (local.get $e2))
    (i64.const 0x0000001000000043)) ;; output at 16, 67 bytes
)
