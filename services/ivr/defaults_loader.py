"""The default hospital flow, shipped as data in ``defaults/hospital.json`` (R-IVR4, R-VIP2).

The bundle holds the flow (name, dialled numbers, definition) and the TTS text of its prompts per
language. Four prompts can be replaced by recorded files through settings (``prompt_main_menu`` …),
which is how deployments and tests without TTS seed them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from careline.ivr.engine import CallPlan
from careline.ivr.flowdef import FlowDefinition
from careline.ivr.settings import IvrSettings

DEFAULT_NUMBER = "*"  # the flow a dialled number without its own flow gets


@dataclass(frozen=True)
class Bundle:
    name: str
    description: str
    numbers: list[str]
    definition: FlowDefinition
    prompts: dict[str, dict[str, str]]  # name -> language -> media (say:<text> or a file)


def hospital_bundle(settings: IvrSettings | None = None) -> Bundle:
    raw = json.loads(resources.files("careline.ivr.defaults").joinpath("hospital.json").read_text("utf-8"))
    definition = FlowDefinition.model_validate(raw["definition"])
    prompts = {
        name: {lang: f"say:{text}" for lang, text in texts.items()} for name, texts in raw["prompts"].items()
    }
    for name, media in setting_prompts(settings).items():
        prompts[name] = {definition.language: media}
    return Bundle(raw["name"], raw.get("description", ""), raw["numbers"], definition, prompts)


def setting_prompts(settings: IvrSettings | None) -> dict[str, str]:
    if settings is None:
        return {}
    chosen = {
        "main_menu": settings.prompt_main_menu,
        "invalid": settings.prompt_invalid,
        "sorry": settings.prompt_sorry,
        "goodbye": settings.prompt_goodbye,
    }
    return {name: media for name, media in chosen.items() if media}


def media_for(prompts: dict[str, dict[str, str]], language: str, fallback: str = "en") -> dict[str, str]:
    """Each prompt in ``language``, else in ``fallback``, else in any language it has."""
    media = {}
    for name, by_language in prompts.items():
        choice = (
            by_language.get(language) or by_language.get(fallback) or next(iter(by_language.values()), None)
        )
        if choice:
            media[name] = choice
    return media


class StaticPlans:
    """One plan for every call (no flow store): the bundled hospital flow."""

    def __init__(self, bundle: Bundle, features: dict[str, bool] | None = None) -> None:
        self.plan = CallPlan(
            bundle.name,
            1,
            bundle.definition,
            media=media_for(bundle.prompts, bundle.definition.language),
            features=features or {},
        )

    async def plan_for(self, dialled: str) -> CallPlan:
        return self.plan
