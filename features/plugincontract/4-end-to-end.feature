@contract @agentshape-decision
Feature: Plugin contract: end to end
  A request shaped by the plugin starts a session on agentshape's embedded Agent API emulator, just
  as it would on a real org.

  @contract:e2e
  Scenario: The shaped request starts a session
    Given the plugin under test
    And the Agent API emulator with its default org
    And a valid request for the emulator's org, as the earlier plugins would have left it
    When the plugin shapes the request for the emulator's org
    And the shaped request is sent with Start Session
    Then the outcome is "200"
