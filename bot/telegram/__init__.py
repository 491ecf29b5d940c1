"""The Telegram front end: aiogram routers, middlewares, keyboards and the outbound messenger."""
