@product @agentshape-decision
Feature: Shaping the request with plugins
  A pipeline manifest lists plugins in order. Each plugin receives the request as shaped so far and
  returns the whole new request. agentshape remembers, for every field of the final request, which
  plugin last set or changed it (its provenance), so a mistake can be traced to the plugin that made it.

  Background:
    Given the end user's context:
      """json
      {
        "agentId": "0XxAA0000000001AAA",
        "org": {"myDomain": "acme"},
        "conversationId": "conv-42",
        "user": {"locale": "de_DE", "timezone": "Europe/Berlin", "attributes": {"tier": "gold"}}
      }
      """

  Rule: Plugins run in the manifest's order and each sees the previous one's request

    @plugins:order
    Scenario: Three plugins together build a complete request
      Given a pipeline of the plugins "session-key, endpoint, context-vars"
      When the request is shaped
      Then the shaped request is valid
      And the shaped request has "instanceConfig.endpoint" equal to "https://acme.my.salesforce.com"
      And the shaped request has the variable "$Context.EndUserLanguage" with value "de_DE"

    @plugins:order
    Scenario: A later plugin overrides what an earlier one wrote
      Given a pipeline of the plugins "session-key, endpoint, endpoint as endpoint-eu" where "endpoint-eu" has the configuration:
        """json
        {"myDomain": "acme-eu", "override": true}
        """
      When the request is shaped
      Then the shaped request has "instanceConfig.endpoint" equal to "https://acme-eu.my.salesforce.com"
      And the field "instanceConfig.endpoint" was last set by "endpoint-eu"

  Rule: Every field of the final request names the plugin that last set it

    @plugins:provenance
    Scenario: Provenance names the plugin behind each field
      Given a pipeline of the plugins "session-key, endpoint, context-vars"
      When the request is shaped
      Then the field "externalSessionKey" was last set by "session-key"
      And the field "instanceConfig.endpoint" was last set by "endpoint"
      And the field "variables" was last set by "context-vars"

  Rule: A plugin's configuration comes from the manifest

    @plugins:config
    Scenario: The endpoint plugin builds a sandbox My Domain URL from its configuration
      Given a pipeline of the plugins "session-key, endpoint" where "endpoint" has the configuration:
        """json
        {"myDomain": "acme", "kind": "sandbox", "sandbox": "uat", "override": true}
        """
      When the request is shaped
      Then the shaped request has "instanceConfig.endpoint" equal to "https://acme--uat.sandbox.my.salesforce.com"

    @plugins:config
    Scenario: The same conversation keeps the same session key
      Given a pipeline of the plugins "session-key, endpoint" where "session-key" has the configuration:
        """json
        {"mode": "conversation"}
        """
      When the request is shaped twice
      Then both shaped requests have the same "externalSessionKey"

  Rule: A plugin may refuse, with a reason a person can act on

    @plugins:refusal
    Scenario: The endpoint plugin refuses a Lightning URL and says which URL to use
      Given a pipeline of the plugins "session-key, endpoint" where "endpoint" has the configuration:
        """json
        {"myDomain": "https://acme.lightning.force.com", "override": true}
        """
      When the request is shaped
      Then shaping fails because the plugin "endpoint" refused
      And the error message contains "my.salesforce.com"
