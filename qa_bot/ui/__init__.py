"""The Gradio chat UI of qa_bot: the app at ``/``, the embeddable widget at ``/widget``, named API endpoints.

>>> from qa_bot import Bot
>>> from qa_bot.ui import UISettings, create_app, UIServer
>>> UIServer(create_app(Bot(), UISettings()), "127.0.0.1", 7860).start().wait()
"""
from .server import EMBED_SCRIPT, WIDGET_PATH, UIServer, create_app
from .settings import UISettings, add_ui_flags, ui_settings_from_args

__all__ = ["EMBED_SCRIPT", "WIDGET_PATH", "UIServer", "UISettings", "add_ui_flags", "create_app",
           "ui_settings_from_args"]
