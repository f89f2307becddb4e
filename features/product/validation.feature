@product @agentshape-decision
Feature: Validation, and who caused a violation
  Before anything is sent, the shaped request is checked against the Start Session request schema
  (agent-api.md §2, §3). A request that fails is never sent. Each violation names the field, the
  rule it broke, what to do, and the plugin that last wrote that field.

  Background:
    Given an org "acme" with Agentforce enabled
    And the running user has the "Manage AI Agents" permission
    And an agent "0XxAA0000000001AAA" with an active version
    And the end user's context:
      """json
      {"agentId": "0XxAA0000000001AAA", "org": {"myDomain": "acme"}, "user": {"locale": "en_US"}}
      """

  Rule: A valid shaped request is sent and the session starts

    @validation:valid
    Scenario: agentshape start shapes, validates and starts a session
      Given a pipeline of the plugins "session-key, endpoint, context-vars"
      When agentshape starts a session for agent "0XxAA0000000001AAA"
      Then the command exits with code 0
      And the outcome is "200"

  Rule: An invalid shaped request is never sent, and the violation names the plugin

    @validation:blame
    Scenario: A field the API does not know is blamed on the plugin that wrote it
      Given a pipeline of the plugins "session-key, endpoint, testdata/broken/wrong-field"
      When agentshape starts a session for agent "0XxAA0000000001AAA"
      Then the command exits with code 3
      And the request is refused before sending
      And the refusal names "userId"
      And the refusal blames the plugin "wrong-field"
      And the Agent API received no Start Session request

    @validation:blame
    Scenario: A missing required field is reported with what to do
      Given a pipeline of the plugins "endpoint"
      When agentshape starts a session for agent "0XxAA0000000001AAA"
      Then the command exits with code 3
      And the refusal names "externalSessionKey"
      And the Agent API received no Start Session request

  Rule: Any document can be checked on its own

    @validation:cli
    Scenario Outline: agentshape validate checks a document against a schema: <case> exits <code>
      Given a file with the content:
        """json
        <document>
        """
      When agentshape validates the file against "<schema>"
      Then the command exits with code <code>

      Examples:
        | case                           | schema                     | document                                                                                                      | code |
        | valid request                  | start-session-request      | {"externalSessionKey":"k-1","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"}}                   | 0    |
        | unknown field                  | start-session-request      | {"externalSessionKey":"k-1","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"userId":"x"}      | 1    |
        | flow body with a Tenant Key ID | flow-start-session-request | {"externalSessionKey":"k-1","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"tenantKeyId":"t"} | 1    |
        | not JSON                       | start-session-request      | {"externalSessionKey":                                                                                        | 2    |
