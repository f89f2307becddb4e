@product
Feature: The Agent API emulator
  Nobody can reach Salesforce from a test machine, so agentshape ships an emulator of the Agent API.
  It answers like the real API does, as far as the reference documents it (agent-api.md §2–§8), and
  it is what `agentshape start` talks to when no org credentials are configured.

  Background:
    Given an org "acme" with Agentforce enabled
    And the running user has the "Manage AI Agents" permission
    And an agent "0XxAA0000000001AAA" with an active version

  Rule: The emulator is strict about the request body, like the real API

    @emulator:strict @salesforce-observed
    Scenario: A field the API does not know gets 400 "Unrecognized field"
      When the client sends the Start Session body:
        """json
        {
          "externalSessionKey": "3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71",
          "instanceConfig": {"endpoint": "https://acme.my.salesforce.com"},
          "userId": "005000000000001"
        }
        """
      Then the outcome is "400 Exception"
      And the exception message contains "Unrecognized field \"userId\""

    @emulator:endpoint @salesforce-documented
    Scenario: An endpoint that is not the org's My Domain gets 500 EngineConfigLookupException
      When the client sends the Start Session body:
        """json
        {
          "externalSessionKey": "3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71",
          "instanceConfig": {"endpoint": "https://other-org.my.salesforce.com"}
        }
        """
      Then the outcome is "Default Exception"
      And the Response Code is 500
      And the exception message contains "EngineConfigLookupException"

  Rule: Every error answer carries the documented error body

    @emulator:error-body @salesforce-documented
    Scenario: An error body has status, path, requestId, error, message and timestamp
      When the client starts a session for agent "0XxAA0000000009ZZZ"
      Then the outcome is "404 Exception"
      And the error body has the fields "status, path, requestId, error, message, timestamp"
      And the error body's requestId matches the X-Request-ID header

  Rule: `agentshape start` uses the emulator when no org is configured

    @emulator:embedded @agentshape-decision
    Scenario: Without org credentials, start talks to the embedded emulator and says so
      Given no Salesforce credentials in the environment
      And a pipeline of the plugins "session-key, endpoint, context-vars"
      And the end user's context:
        """json
        {"agentId": "0XxAA0000000001AAA", "org": {"myDomain": "example-co"}, "user": {"locale": "en_US"}}
        """
      When agentshape starts a session for agent "0XxAA0000000001AAA" with the embedded emulator
      Then the command exits with code 0
      And the command's error output mentions "emulator"
