@flow
Feature: Start Session action: preconditions
  The Start Session action only works when three things are true; otherwise it fails
  (agent-api.md §6):

    1. Agentforce is enabled in the org.
    2. The running user has the "Manage AI Agents" permission.
    3. The agent has an active version.

  Each scenario below breaks exactly one of them and shows the output the flow takes. Help does not
  say which output a broken precondition takes. A missing active version is documented as 422
  "Cannot determine the active version for the agent" (agent-api.md §5). For Agentforce turned off
  and a missing permission Salesforce documents no answer: agentshape's emulator answers 403 "User
  forbidden from accessing the resource" (@agentshape-decision) until a real org shows otherwise.

  Background:
    Given an org "acme" with Agentforce enabled
    And the running user has the "Manage AI Agents" permission
    And an agent "0XxAA0000000001AAA" with an active version
    And a valid New Session Request Body

  Rule: Agentforce must be enabled in the org

    @flow:pre-agentforce @salesforce-documented
    Scenario: With every precondition met the session starts
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "200" output

    @flow:pre-agentforce @agentshape-decision
    Scenario: With Agentforce turned off the action fails: agentshape's emulator answers with the 403 Exception output
      Given Agentforce is turned off in the org
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "403 Exception" output
      And the Response Code is 403

  Rule: The running user needs the "Manage AI Agents" permission

    @flow:pre-permission @agentshape-decision
    Scenario: Without "Manage AI Agents" the action fails: agentshape's emulator answers with the 403 Exception output
      Given the running user lacks the "Manage AI Agents" permission
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "403 Exception" output
      And the exception message contains "User forbidden from accessing the resource"

  Rule: The agent needs an active version

    @flow:pre-active-version @salesforce-documented
    Scenario: An agent without an active version fails with the 422 Exception output
      Given an agent "0XxAA0000000003AAA" without an active version
      When the flow runs Start Session for agent "0XxAA0000000003AAA"
      Then the action takes the "422 Exception" output
      And the exception message contains "Cannot determine the active version for the agent"

  Rule: Required Editions: Lightning Experience; Enterprise, Performance, Unlimited and Developer Editions; add-on licences per agent type

    Help lists where the action is available (agent-api.md §6.2). It does not say how the action
    fails elsewhere: agentshape's emulator answers 403 "User forbidden from accessing the resource",
    naming what is missing (@agentshape-decision), until a real org shows otherwise.

    @flow:pre-edition @salesforce-documented
    Scenario Outline: In <edition> Edition the session starts
      Given the org is a <edition> Edition org
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "200" output

      Examples:
        | edition     |
        | Enterprise  |
        | Performance |
        | Unlimited   |
        | Developer   |

    @flow:pre-edition @agentshape-decision
    Scenario Outline: In <edition> Edition the action fails: agentshape's emulator answers with the 403 Exception output
      Given the org is a <edition> Edition org
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "403 Exception" output
      And the exception message contains "this org is <edition> Edition"

      Examples:
        | edition      |
        | Professional |
        | Essentials   |

    @flow:pre-lightning @agentshape-decision
    Scenario: In an org on Salesforce Classic the action fails: agentshape's emulator answers with the 403 Exception output
      Given the org does not use Lightning Experience
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "403 Exception" output
      And the exception message contains "Lightning Experience"

    @flow:pre-licence @agentshape-decision
    Scenario: An agent type the org has no add-on licence for fails: agentshape's emulator answers with the 403 Exception output
      Given the org holds the add-on licence for "employee" agents only
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "403 Exception" output
      And the exception message contains "add-on licence for service agents"
