@contract @agentshape-decision
Feature: Plugin contract: end to end
  A request shaped by the plugin starts a session on agentshape's embedded Agent API emulator, just
  as it would on a real org. The emulator serves the org under test: the emulator-org file given
  with --org (`agentshape emulator --print-org` is the template), or the built-in demo org, which
  the report then names. The org decides what is accepted: its My Domain is the only
  instanceConfig.endpoint it answers to, and its agent's variable declarations fix each variable's
  type. The generated contexts name the same org, in every form a context can. A failure names the
  field the org refused and the plugin that last wrote it (field provenance, as `shape --explain`
  prints it); its reproducer replays the pipeline up to that plugin with `agentshape start --org`,
  which starts a session on an emulator serving the same org and fails as this scenario did.

  @contract:e2e
  Scenario: The shaped request starts a session
    Given the plugin under test
    And the Agent API emulator with the org under test
    And a valid request for the emulator's org, as the earlier plugins would have left it
    When the plugin shapes the request for the emulator's org
    And the shaped request is sent with Start Session
    Then the outcome is "200"

  @contract:e2e @contract:generated
  Scenario: Every generated case's shaped request starts a session
    Given the plugin under test
    And the Agent API emulator with the org under test
    And the generated cases
    When the plugin shapes every generated case
    And every valid shaped request is sent with Start Session
    Then every outcome is "200"
