@contract @agentshape-decision
Feature: Plugin contract: generated cases
  The gate generates many contexts from its seed: locales and time zones from around the world,
  missing attributes, unicode, empty and huge values. Every case must keep the contract. When one
  does not, the gate shrinks the case — it drops context members one by one while the failure
  persists — writes the smallest envelope that still breaks the plugin, and prints the command that
  replays it. A fault on any case — a panic, a trap, a broken limit, an ABI error or a reserved fault
  code (plugins/ABI.md §6.1) — fails every scenario that shaped that case; a deliberate refusal
  with the plugin's own code does not.

  Background:
    Given the plugin under test
    And the generated cases

  Rule: Every generated case keeps the contract

    @contract:generated
    Scenario: Every answer is a request or a refusal, within limits
      When the plugin shapes every generated case
      Then every call stays within its limits
      And every answer is a request or a refusal with a code and a message

    @contract:generated
    Scenario: Every shaped request is valid
      When the plugin shapes every generated case
      Then every shaped request is valid against "start-session-request"

    @contract:generated
    Scenario: Every shaped request leaves the reserved fields alone
      When the plugin shapes every generated case
      Then no shaped request sets a reserved field

    @contract:generated @contract:deterministic
    Scenario: Every case gives the same answer when run again with the same seed
      When the plugin shapes every generated case
      And the plugin shapes every generated case again, in reverse order, on a fresh runtime
      Then every answer is identical to the first run's
