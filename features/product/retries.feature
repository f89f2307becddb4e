@product @agentshape-decision
Feature: Retries
  The Agent API can answer "busy" (423), "too many requests" (429) or "unavailable" (503), or the
  connection can fail. Starting a session is not idempotent: an answer other than 200 does not always
  mean that no session was created — Salesforce documents its 503 as "possibly because Apex/Flow calls
  timed out", after work was done — and sending the same request again would start a second session.
  So by default agentshape repeats a Start Session only after answers that prove no session was
  created: a connection that failed before anything was sent, or a 401 (after fetching a new token).
  Repeating it after 423, 429 or 503 is an opt-in for callers who accept an occasional second session.
  Ending a session is idempotent and is repeated after 423, 429 and 503. Repeats wait a growing,
  jittered pause, honour a Retry-After header, and stop after a bounded number of attempts
  (docs/agent-api.md §10).

  Background:
    Given an org "acme" with Agentforce enabled
    And the running user has the "Manage AI Agents" permission
    And an agent "0XxAA0000000001AAA" with an active version
    And a valid Start Session request body

  Rule: By default a Start Session that may have created a session is not repeated

    @retries:no-duplicate
    Scenario Outline: A "<status>" answer is reported, not repeated
      Given the Agent API answers "<status>" to the next 1 requests
      When the client starts a session for agent "0XxAA0000000001AAA" with up to 4 attempts
      Then the outcome is "<status> Exception"
      And the Agent API received 1 Start Session requests

      Examples:
        | status |
        | 423    |
        | 429    |
        | 503    |

    @retries:no-duplicate
    Scenario: A session created before its answer was lost is not created twice
      Given the Agent API creates the session, then answers "503" to the next 1 requests
      When the client starts a session for agent "0XxAA0000000001AAA" with up to 4 attempts
      Then the outcome is "503 Exception"
      And the Agent API received 1 Start Session requests
      And exactly one session was started

  Rule: A caller who accepts a second session can have 423, 429 and 503 repeated

    @retries:unsafe-opt-in
    Scenario Outline: A session still starts after <count> "<status>" answers
      Given the caller accepts that a repeated Start Session may start a second session
      And the Agent API answers "<status>" to the next <count> requests
      When the client starts a session for agent "0XxAA0000000001AAA" with up to 4 attempts
      Then the outcome is "200"
      And the Agent API received <attempts> Start Session requests
      And exactly one session was started

      Examples:
        | status | count | attempts |
        | 423    | 1     | 2        |
        | 429    | 2     | 3        |
        | 503    | 1     | 2        |

    @retries:unsafe-opt-in
    Scenario: The opt-in starts a second session when the first answer was lost after the session was created
      Given the caller accepts that a repeated Start Session may start a second session
      And the Agent API creates the session, then answers "503" to the next 1 requests
      When the client starts a session for agent "0XxAA0000000001AAA" with up to 4 attempts
      Then the outcome is "200"
      And 2 sessions were started

    @retries:give-up
    Scenario: The client gives up after its last attempt and reports the last answer
      Given the caller accepts that a repeated Start Session may start a second session
      And the Agent API answers "503" to the next 10 requests
      When the client starts a session for agent "0XxAA0000000001AAA" with up to 3 attempts
      Then the outcome is "503 Exception"
      And the Agent API received 3 Start Session requests

  Rule: A Retry-After header says how long to wait

    @retries:retry-after
    Scenario: A short Retry-After is waited for, then the retry succeeds
      Given the caller accepts that a repeated Start Session may start a second session
      And the Agent API answers "503" with Retry-After "1" to the next 1 requests
      When the client starts a session for agent "0XxAA0000000001AAA" with up to 4 attempts
      Then the outcome is "200"
      And the Agent API received 2 Start Session requests

    @retries:retry-after
    Scenario: A Retry-After beyond the client's time budget is not waited for
      Given the caller accepts that a repeated Start Session may start a second session
      And the Agent API answers "503" with Retry-After "60" to the next 1 requests
      When the client starts a session for agent "0XxAA0000000001AAA" with up to 4 attempts
      Then the outcome is "503 Exception"
      And the Agent API received 1 Start Session requests

  Rule: Ending a session is idempotent, so 423, 429 and 503 are repeated

    @retries:end
    Scenario: A session is still ended after a "503" answer
      Given a started session with agent "0XxAA0000000001AAA"
      And the Agent API answers "503" to the next 1 End Session requests
      When the session is ended because "UserRequest" with up to 4 attempts
      Then the end is acknowledged
      And the Agent API received 2 End Session requests

  Rule: Other answers are never retried

    @retries:final
    Scenario Outline: A "<status>" answer is not retried
      Given the caller accepts that a repeated Start Session may start a second session
      And the Agent API answers "<status>" to the next 1 requests
      When the client starts a session for agent "0XxAA0000000001AAA" with up to 4 attempts
      Then the outcome is "<output>"
      And the Agent API received 1 Start Session requests

      Examples:
        | status | output            |
        | 400    | 400 Exception     |
        | 403    | 403 Exception     |
        | 404    | 404 Exception     |
        | 422    | 422 Exception     |
        | 500    | Default Exception |

  Rule: An access token that stops working is renewed once

    @retries:token
    Scenario: After the org revokes its tokens, the next call gets a new token and succeeds
      Given a started session with agent "0XxAA0000000001AAA"
      And the org revokes every access token
      When the user sends the message "Still there?"
      Then the outcome is "200"
      And the emulator issued 2 access tokens
