"""The default hospital flow, shipped as data in ``defaults/hospital.json`` (R-IVR4, R-VIP2).

The bundle holds the flow (name, dialled numbers, definition) and the text of its prompts per language.
Each prompt is played as the file ``careline prompts render`` made from that text
(``ivr/careline-<name>.wav``, relative to the call's ``sound_prefix``, so one path serves every language;
issue 8, design §10). Four prompts can be replaced by recorded files through settings
(``prompt_main_menu`` …).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from careline.ivr.engine import CallPlan
from careline.ivr.flowdef import FlowDefinition
from careline.ivr.settings import IvrSettings
from careline.prompts.catalog import flow_prompt_file

DEFAULT_NUMBER = "*"  # the flow a dialled number without its own flow gets


@dataclass(frozen=True)
class Bundle:
    name: str
    description: str
    numbers: list[str]
    definition: FlowDefinition
    prompts: dict[str, dict[str, str]]  # name -> language -> media (a rendered file, say:<text>…)


def hospital_bundle(settings: IvrSettings | None = None) -> Bundle:
    raw = json.loads(resources.files("careline.ivr.defaults").joinpath("hospital.json").read_text("utf-8"))
    definition = FlowDefinition.model_validate(raw["definition"])
    prompts = {name: dict.fromkeys(texts, flow_prompt_file(name)) for name, texts in raw["prompts"].items()}
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


def media_by_language(prompts: dict[str, dict[str, str]], first: str) -> dict[str, dict[str, str]]:
    """Every language any prompt has (``first`` first), each with :func:`media_for`."""
    languages = dict.fromkeys([first, *(lang for texts in prompts.values() for lang in texts)])
    return {lang: media_for(prompts, lang, fallback=first) for lang in languages}


class StaticPlans:
    """One plan for every call (no flow store): the bundled hospital flow."""

    def __init__(self, bundle: Bundle, features: dict[str, bool] | None = None) -> None:
        first = bundle.definition.language
        self.plan = CallPlan(
            bundle.name,
            1,
            bundle.definition,
            media=media_for(bundle.prompts, first),
            features=features or {},
            media_by_language=media_by_language(bundle.prompts, first),
        )

    async def plan_for(self, dialled: str) -> CallPlan:
        return self.plan
