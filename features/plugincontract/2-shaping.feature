@contract @agentshape-decision
Feature: Plugin contract: shaping a request
  A plugin receives an envelope with its configuration, the caller's context and the request as
  shaped so far. It answers with the whole new request, or with a refusal that has a code and a
  message. The gate runs the plugin in deterministic mode: the clock is fixed and randomness is seeded.

  Background:
    Given the plugin under test
    And a valid request as the earlier plugins would have left it

  Rule: A plugin answers with a whole request or a refusal a person can act on
    A refusal is deliberate: the plugin declines with a code of its own and a message. A crash is
    not a refusal: a panic (the Go kit answers "plugin_panic"), a trap, a broken limit, an ABI error,
    or any other code plugins/ABI.md §6.1 reserves for faults fails the scenario it happened in,
    whatever that scenario checks.

    @contract:answer
    Scenario: A typical context gets a valid request
      Given a typical context
      When the plugin shapes the request
      Then the answer is a request or a refusal with a code and a message
      And a shaped request is valid against "start-session-request"

    @contract:empty-context
    Scenario: An empty context does not break the plugin
      Given an empty context
      When the plugin shapes the request
      Then the answer is a request or a refusal with a code and a message

  Rule: The same input gives the same output

    @contract:deterministic
    Scenario: Shaping the same envelope twice gives the same answer
      Given a typical context
      When the plugin shapes the request twice
      Then both answers are identical

  Rule: Reserved fields are never set

    @contract:reserved
    Scenario: The Tenant Key ID is reserved for internal use and stays unset
      Given a typical context
      When the plugin shapes the request
      Then a shaped request sets no reserved field
