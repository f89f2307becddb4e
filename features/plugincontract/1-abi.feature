@contract @agentshape-decision
Feature: Plugin contract: the module speaks ABI v1
  Every plugin is a WebAssembly module that implements agentshape's plugin ABI v1 (plugins/ABI.md).
  `agentshape conformance` checks these rules for the plugin, or for every plugin of a pipeline,
  before it runs anything.

  Background:
    Given the plugin under test

  Rule: A module declares ABI v1 and exports what the host calls

    @contract:abi-exports
    Scenario: A reactor exports memory, the ABI marker, alloc and shape; a command exports _start
      Then every module exports what its kind requires

    @contract:abi-marker
    Scenario: Every reactor carries the agentshape_abi_v1 marker (a WASI command declares itself by _start)
      Then every reactor exports the ABI marker

  Rule: A module imports nothing but the host's log function and WASI

    @contract:abi-imports
    Scenario: Imports come only from "agentshape" and "wasi_snapshot_preview1"
      Then every module imports only allowed functions

  Rule: A module stays within its limits

    @contract:abi-limits
    Scenario: The memory a module declares fits within its memory limit
      Then every module's initial memory fits within its memory limit

    @contract:abi-limits
    Scenario: The host loads every module with its limits
      Then the host loads every module
