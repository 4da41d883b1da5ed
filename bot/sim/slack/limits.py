"""Slack's documented limits, in one place.

Block Kit limits come from the block and element reference pages; the others from the Web API
method pages (chat.postMessage, views.open, response URLs, Socket Mode). Everything the
simulator enforces is named here, so a test can import the number instead of repeating it.
"""

from __future__ import annotations

from typing import Final

# Messages
MAX_MESSAGE_BLOCKS: Final = 50
MAX_MESSAGE_TEXT: Final = 40_000

# Views (modals and App Home)
MAX_VIEW_BLOCKS: Final = 100
MAX_VIEW_TITLE: Final = 24
MAX_VIEW_BUTTON_TEXT: Final = 24
MAX_PRIVATE_METADATA: Final = 3_000
MAX_VIEW_STACK: Final = 3

# Blocks
MAX_SECTION_TEXT: Final = 3_000
MAX_SECTION_FIELDS: Final = 10
MAX_SECTION_FIELD_TEXT: Final = 2_000
MAX_HEADER_TEXT: Final = 150
MAX_ACTIONS_ELEMENTS: Final = 25
MAX_CONTEXT_ELEMENTS: Final = 10
MAX_MARKDOWN_BLOCK_TEXT: Final = 12_000
MAX_INPUT_LABEL: Final = 2_000
MAX_IMAGE_ALT_TEXT: Final = 2_000
MAX_ID_LENGTH: Final = 255  # block_id, action_id, callback_id, external_id

# Elements
MAX_BUTTON_TEXT: Final = 75
MAX_BUTTON_VALUE: Final = 2_000
MAX_URL: Final = 3_000
MAX_SELECT_OPTIONS: Final = 100
MAX_CHECKBOX_OPTIONS: Final = 10
MAX_OVERFLOW_OPTIONS: Final = 5
MAX_OPTION_TEXT: Final = 75
MAX_OPTION_VALUE: Final = 150

# Interactions
TRIGGER_TTL_SECONDS: Final = 3.0
ACK_TIMEOUT_SECONDS: Final = 3.0
RESPONSE_URL_MAX_USES: Final = 5
RESPONSE_URL_TTL_SECONDS: Final = 30 * 60
SIGNATURE_MAX_AGE_SECONDS: Final = 5 * 60
