"""The Bitrix24 chat front end: a chat bot on the portal, and posts into its dialogs."""
