@product @agentshape-decision
Feature: Retries
  The Agent API can answer "busy" (423), "too many requests" (429) or "unavailable" (503), or the
  connection can fail. agentshape retries only those, with a growing, jittered pause, honouring a
  Retry-After header when the API sends one, and gives up after a bounded number of attempts.
  Every other answer is final: retrying a bad request cannot help (agent-api.md §5).

  Background:
    Given an org "acme" with Agentforce enabled
    And the running user has the "Manage AI Agents" permission
    And an agent "0XxAA0000000001AAA" with an active version
    And a valid Start Session request body

  Rule: 423, 429 and 503 are retried

    @retries:transient
    Scenario Outline: A session still starts after <count> "<status>" answers
      Given the Agent API answers "<status>" to the next <count> requests
      When the client starts a session for agent "0XxAA0000000001AAA" with up to 4 attempts
      Then the outcome is "200"
      And the Agent API received <attempts> Start Session requests
      And exactly one session was started

      Examples:
        | status | count | attempts |
        | 423    | 1     | 2        |
        | 429    | 2     | 3        |
        | 503    | 1     | 2        |

    @retries:give-up
    Scenario: The client gives up after its last attempt and reports the last answer
      Given the Agent API answers "503" to the next 10 requests
      When the client starts a session for agent "0XxAA0000000001AAA" with up to 3 attempts
      Then the outcome is "503 Exception"
      And the Agent API received 3 Start Session requests

  Rule: A Retry-After header says how long to wait

    @retries:retry-after
    Scenario: A short Retry-After is waited for, then the retry succeeds
      Given the Agent API answers "503" with Retry-After "1" to the next 1 requests
      When the client starts a session for agent "0XxAA0000000001AAA" with up to 4 attempts
      Then the outcome is "200"
      And the Agent API received 2 Start Session requests

    @retries:retry-after
    Scenario: A Retry-After beyond the client's time budget is not waited for
      Given the Agent API answers "503" with Retry-After "60" to the next 1 requests
      When the client starts a session for agent "0XxAA0000000001AAA" with up to 4 attempts
      Then the outcome is "503 Exception"
      And the Agent API received 1 Start Session requests

  Rule: Other answers are never retried

    @retries:final
    Scenario Outline: A "<status>" answer is not retried
      Given the Agent API answers "<status>" to the next 1 requests
      When the client starts a session for agent "0XxAA0000000001AAA" with up to 4 attempts
      Then the outcome is "<output>"
      And the Agent API received 1 Start Session requests

      Examples:
        | status | output        |
        | 400    | 400 Exception |
        | 403    | 403 Exception |
        | 404    | 404 Exception |
        | 422    | 422 Exception |

  Rule: An access token that stops working is renewed once

    @retries:token
    Scenario: After the org revokes its tokens, the next call gets a new token and succeeds
      Given a started session with agent "0XxAA0000000001AAA"
      And the org revokes every access token
      When the user sends the message "Still there?"
      Then the outcome is "200"
      And the emulator issued 2 access tokens
