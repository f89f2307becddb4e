@flow
Feature: Start Session action: its outputs
  The Start Session action has one output per outcome. Flow follows the output that matches the
  Agent API's answer (agent-api.md §6, §5):

    | Output            | Meaning                                                 |
    | 200               | batched response (headless)                             |
    | 400 Exception     | bad request                                             |
    | 401 Exception     | bearer token missing or invalid                         |
    | 403 Exception     | user forbidden                                          |
    | 404 Exception     | resource not found                                      |
    | 422 Exception     | any exception during execution                          |
    | 423 Exception     | server busy                                             |
    | 429 Exception     | too many requests                                       |
    | 503 Exception     | service unavailable, perhaps from Apex or flow timeouts |
    | Default Exception | anything else                                           |
    | Response Code     | the status code tied to the exception message           |

  The set is the same as the REST API's, except that there is no 500 output; agentshape sends a 500
  answer to the Default Exception output.

  Each situation below comes from Salesforce's documentation (@salesforce-documented) or from
  public reports (@salesforce-observed), except where Salesforce names a status but not what causes
  it: there the situation is the one agentshape's emulator answers with that status
  (@agentshape-decision).

  Background:
    Given an org "acme" with Agentforce enabled
    And the running user has the "Manage AI Agents" permission
    And an agent "0XxAA0000000001AAA" with an active version
    And a valid New Session Request Body

  Rule: A started session takes the 200 output with the batched response

    @flow:output-200 @salesforce-documented
    Scenario: The 200 output carries the session ID and the agent's greeting in one batch
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "200" output
      And the response has a session ID
      And the response's messages start with an "Inform" greeting
      And the response links to the session's messages and its end

  Rule: Every error answer takes the output named after its status, with its message and Response Code

    Scenario Outline: <situation> takes the <output> output
      Given <situation>
      When the flow runs Start Session for agent "<agent>"
      Then the action takes the "<output>" output
      And the Response Code is <code>
      And the exception message contains "<message>"

      @flow:output-400 @flow:output-response-code @salesforce-observed
      Examples: bad request
        | situation                                                     | agent              | output        | code | message                                   |
        | the agent is an employee agent and the body bypasses the user | 0XxAA0000000002AAA | 400 Exception | 400  | Invalid user ID provided on start session |

      @flow:output-401 @flow:output-response-code @salesforce-documented
      Examples: bearer token missing or invalid
        | situation                              | agent              | output        | code | message                                   |
        | the Agent API refuses the access token | 0XxAA0000000001AAA | 401 Exception | 401  | Access bearer token is missing or invalid |

      @flow:output-422 @flow:output-response-code @salesforce-documented
      Examples: exception during execution
        | situation                       | agent              | output        | code | message                                           |
        | the agent has no active version | 0XxAA0000000003AAA | 422 Exception | 422  | Cannot determine the active version for the agent |

      @flow:output-423 @flow:output-response-code @salesforce-documented
      Examples: server busy
        | situation             | agent              | output        | code | message                                                    |
        | the Agent API is busy | 0XxAA0000000001AAA | 423 Exception | 423  | Server is busy and cannot process the request at this time |

      @flow:output-429 @flow:output-response-code @salesforce-documented
      Examples: too many requests
        | situation                         | agent              | output        | code | message                                    |
        | the org is over its request limit | 0XxAA0000000001AAA | 429 Exception | 429  | Too many requests for the server to handle |

      @flow:output-503 @flow:output-response-code @salesforce-documented
      Examples: service unavailable
        | situation                   | agent              | output        | code | message                |
        | Apex or Flow calls time out | 0XxAA0000000001AAA | 503 Exception | 503  | Service is unavailable |

    Scenario Outline: When <situation>, agentshape's emulator answers with the <output> output
      Given <situation>
      When the flow runs Start Session for agent "<agent>"
      Then the action takes the "<output>" output
      And the Response Code is <code>
      And the exception message contains "<message>"

      @flow:output-403 @flow:output-response-code @agentshape-decision
      Examples: user forbidden
        | situation                                                | agent              | output        | code | message                                    |
        | the running user lacks the "Manage AI Agents" permission | 0XxAA0000000001AAA | 403 Exception | 403  | User forbidden from accessing the resource |

      @flow:output-404 @flow:output-response-code @agentshape-decision
      Examples: resource not found
        | situation                 | agent              | output        | code | message            |
        | the org has no such agent | 0XxAA0000000009ZZZ | 404 Exception | 404  | Resource not found |

      @flow:output-default @flow:output-response-code @flow:no-500-output @agentshape-decision
      Examples: anything else
        | situation                                      | agent              | output            | code | message                     |
        | the body's endpoint is another org's My Domain | 0XxAA0000000001AAA | Default Exception | 500  | EngineConfigLookupException |

  Rule: There is no 500 output; agentshape sends a 500 answer to the Default Exception output

    @flow:no-500-output @flow:output-default @agentshape-decision
    Scenario: agentshape sends a 500 answer to the Default Exception output with Response Code 500
      Given the Agent API fails with "500" on every request
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "Default Exception" output
      And the Response Code is 500

  Rule: Error answers look different on live orgs, and take the same outputs

    The reference names error classes such as NotFoundError and UnauthorizedError; live orgs were
    recorded answering NotFoundException, with the extra members "mode" and "expected" and an
    internal path such as v6.0.0/sessions/… (agent-api.md §5). agentshape's emulator answers either
    way (its org file's errorStyle), and the output depends only on the status.

    @flow:error-style
    Scenario Outline: The flow takes the "<output>" output when <situation>, whether the org names the error <class>
      Given the org answers errors <style>
      And <situation>
      When the flow runs Start Session for agent "<agent>"
      Then the action takes the "<output>" output
      And the Response Code is <code>
      And the error class is "<class>"

      @salesforce-documented
      Examples: as the reference documents them
        | style           | situation                              | agent              | output        | code | class             |
        | as documented   | the org has no such agent              | 0XxAA0000000009ZZZ | 404 Exception | 404  | NotFoundError     |
        | as documented   | the Agent API refuses the access token | 0XxAA0000000001AAA | 401 Exception | 401  | UnauthorizedError |

      @salesforce-observed
      Examples: as live orgs answer them
        | style           | situation                              | agent              | output        | code | class                 |
        | as live orgs do | the org has no such agent              | 0XxAA0000000009ZZZ | 404 Exception | 404  | NotFoundException     |
        | as live orgs do | the Agent API refuses the access token | 0XxAA0000000001AAA | 401 Exception | 401  | UnauthorizedException |
