"""The moderation desk: the inbox, the published stories and the policy counts in the browser,
served by ``storyforge serve`` at ``/__storyforge/desk/`` (``app``), guarded by ``guard``, its
pages made from the moderation core's own functions (``views``, ``actions``)."""
