"""IVR settings (design §1): env prefix ``CARELINE_IVR_``.

Prompts are file paths FreeSWITCH can play (``/srv/sounds/menu.wav``, ``local_stream://…``,
``tone_stream://…``) or ``say:<text>`` for text-to-speech with the configured engine and voice (R-IVR1).
"""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from careline.core.settings import ServiceSettings


class IvrSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CARELINE_IVR_", extra="ignore")

    service: str = "ivr"
    # FreeSWITCH's dialplan runs `socket <socket_host>:<socket_port> async full`; 0 lets the OS pick (tests).
    socket_host: str = "127.0.0.1"
    socket_port: int = 8084
    socket_linger_s: int = 10
    drain_timeout_s: float = 30.0

    prompt_main_menu: str = "say:Welcome to the hospital. To speak to an operator, press 0."
    prompt_invalid: str = "say:Sorry, that is not a valid choice."
    prompt_goodbye: str = "say:Thank you for calling. Goodbye."
    prompt_sorry: str = "say:We are sorry, nobody can take your call right now. Please call again later."
    tts_engine: str = "flite"
    tts_voice: str = "kal"

    menu_timeout_ms: int = 5000  # wait for the first key after the prompt
    menu_digit_timeout_ms: int = 3000
    menu_retries: int = 2  # re-prompts after a bad or missing key; then a human takes the call (R-IVR5)

    acd_queue: str = "general"
    acd_timeout_s: float = 3.0
    crm_timeout_s: float = 0.5  # a slow CRM must never hold the caller (R-CRM2 is best effort)
    vip_direct_to_agent: bool = True  # R-VIP2: known VIP numbers skip the menu
