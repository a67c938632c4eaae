"""Flows, their versions and publication, dialled numbers, and the call plan (R-IVR4, R-ADM4; design §3).

Rules:
- versions are immutable and numbered from 1; a new version is validated before it is stored;
- publishing validates again (its prompts must exist, its sub-flows must be published), then new calls
  run it at once: :meth:`FlowStore.plan_for` reads the published version when a call starts, and the
  call keeps that plan to its end;
- roll-back republishes the version that was published before the current one;
- a dialled number belongs to at most one flow; ``*`` is the flow of every other number.
"""

from __future__ import annotations

import time

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careline.core.web import Conflict, DomainError, NotFound
from careline.ivr.defaults_loader import DEFAULT_NUMBER, Bundle, media_by_language
from careline.ivr.engine import CallPlan
from careline.ivr.flowdef import FlowDefinition, SubflowNode
from careline.ivr.models import FlowRow, FlowVersionRow, NumberRow, PromptRow, PublicationRow
from careline.ivr.validate import validate

MAX_SUBFLOW_DEPTH = 5


class InvalidFlow(DomainError):
    status_code = 422

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid flow: " + "; ".join(problems))
        self.problems = problems


def _now_us() -> int:
    return time.time_ns() // 1000


class FlowStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], features: dict[str, bool] | None = None):
        self.sessions, self.features = sessions, features or {}

    # -- validation -------------------------------------------------------------------------------------
    async def problems(self, definition: FlowDefinition, *, session: AsyncSession) -> list[str]:
        prompts = set((await session.scalars(select(PromptRow.name))).all())
        published = set(
            (await session.scalars(select(FlowRow.name).where(FlowRow.published_version.is_not(None)))).all()
        )
        return validate(definition, prompt_exists=prompts.__contains__, flow_exists=published.__contains__)

    async def _check(self, definition: FlowDefinition, *, session: AsyncSession) -> None:
        if problems := await self.problems(definition, session=session):
            raise InvalidFlow(problems)

    # -- flows and versions -------------------------------------------------------------------------------
    async def create(
        self, name: str, definition: FlowDefinition, *, description: str = "", numbers: list[str] = ()
    ) -> dict:
        async with self.sessions.begin() as session:
            if await session.get(FlowRow, name) is not None:
                raise Conflict(f"flow {name} already exists")
            await self._check(definition, session=session)
            session.add(FlowRow(name=name, description=description, created_us=_now_us()))
            await session.flush()
            session.add(_version_row(name, 1, definition, "created"))
            await self._bind(name, numbers, session=session)
        return await self.describe(name)

    async def add_version(self, name: str, definition: FlowDefinition, comment: str = "") -> int:
        async with self.sessions.begin() as session:
            await self._flow(name, session=session)
            await self._check(definition, session=session)
            last = await session.scalar(
                select(func.max(FlowVersionRow.version)).where(FlowVersionRow.flow == name)
            )
            session.add(_version_row(name, (last or 0) + 1, definition, comment))
            return (last or 0) + 1

    async def publish(self, name: str, version: int) -> dict:
        async with self.sessions.begin() as session:
            flow = await self._flow(name, session=session)
            definition = await self._definition(name, version, session=session)
            await self._check(definition, session=session)
            flow.published_version = version
            session.add(PublicationRow(flow=name, version=version, published_us=_now_us()))
        return await self.describe(name)

    async def rollback(self, name: str) -> dict:
        async with self.sessions.begin() as session:
            flow = await self._flow(name, session=session)
            log = (
                await session.scalars(
                    select(PublicationRow)
                    .where(PublicationRow.flow == name)
                    .order_by(PublicationRow.id.desc())
                )
            ).all()
            earlier = next((p.version for p in log if p.version != flow.published_version), None)
            if earlier is None:
                raise Conflict(f"flow {name} has no earlier published version to roll back to")
            flow.published_version = earlier
            session.add(PublicationRow(flow=name, version=earlier, published_us=_now_us()))
        return await self.describe(name)

    async def set_numbers(self, name: str, numbers: list[str]) -> dict:
        async with self.sessions.begin() as session:
            await self._flow(name, session=session)
            await session.execute(delete(NumberRow).where(NumberRow.flow == name))
            await self._bind(name, numbers, session=session)
        return await self.describe(name)

    async def _bind(self, name: str, numbers, *, session: AsyncSession) -> None:
        for number in dict.fromkeys(numbers):
            owner = await session.get(NumberRow, number)
            if owner is not None and owner.flow != name:
                raise Conflict(f"number {number} already belongs to flow {owner.flow}")
            if owner is None:
                session.add(NumberRow(number=number, flow=name))

    # -- reading ----------------------------------------------------------------------------------------
    async def names(self) -> list[str]:
        async with self.sessions() as session:
            return list((await session.scalars(select(FlowRow.name).order_by(FlowRow.name))).all())

    async def describe(self, name: str) -> dict:
        async with self.sessions() as session:
            flow = await self._flow(name, session=session)
            versions = (
                await session.scalars(
                    select(FlowVersionRow).where(FlowVersionRow.flow == name).order_by(FlowVersionRow.version)
                )
            ).all()
            numbers = (await session.scalars(select(NumberRow.number).where(NumberRow.flow == name))).all()
            return {
                "name": name,
                "description": flow.description,
                "published_version": flow.published_version,
                "numbers": sorted(numbers),
                "versions": [
                    {"version": v.version, "comment": v.comment, "created_us": v.created_us} for v in versions
                ],
            }

    async def version(self, name: str, version: int) -> FlowDefinition:
        async with self.sessions() as session:
            await self._flow(name, session=session)
            return await self._definition(name, version, session=session)

    async def published_prompt_names(self) -> set[str]:
        """Prompt names any published version (or its goodbye) refers to: those cannot be deleted."""
        from careline.ivr.flowdef import is_prompt_name, prompts_of

        async with self.sessions() as session:
            used: set[str] = set()
            for flow in (
                await session.scalars(select(FlowRow).where(FlowRow.published_version.is_not(None)))
            ).all():
                definition = await self._definition(flow.name, flow.published_version, session=session)
                refs = [r for node in definition.nodes.values() for r in prompts_of(node)]
                refs += [definition.goodbye_prompt or ""]
                used |= {r for r in refs if r and is_prompt_name(r)}
            return used

    async def _flow(self, name: str, *, session: AsyncSession) -> FlowRow:
        flow = await session.get(FlowRow, name)
        if flow is None:
            raise NotFound(f"no flow {name}")
        return flow

    async def _definition(self, name: str, version: int, *, session: AsyncSession) -> FlowDefinition:
        row = await session.scalar(
            select(FlowVersionRow).where(FlowVersionRow.flow == name, FlowVersionRow.version == version)
        )
        if row is None:
            raise NotFound(f"flow {name} has no version {version}")
        return FlowDefinition.model_validate_json(row.definition)

    # -- calls ------------------------------------------------------------------------------------------
    async def plan_for(self, dialled: str) -> CallPlan:
        """The plan for a call to ``dialled``: its flow's published version, else the ``*`` flow's."""
        async with self.sessions() as session:
            name = None
            for number in (dialled, DEFAULT_NUMBER):
                row = await session.get(NumberRow, number) if number else None
                flow = await session.get(FlowRow, row.flow) if row else None
                if flow is not None and flow.published_version is not None:
                    name = flow.name
                    break
            if name is None:
                raise LookupError(f"no published flow for {dialled!r} and no default flow")
            definition = await self._definition(name, flow.published_version, session=session)
            subflows = await self._subflows(definition, session=session)
            by_language = await self._media(definition.language, session=session)
            media = by_language.get(definition.language, {})
            return CallPlan(
                name, flow.published_version, definition, subflows, media, self.features, by_language
            )

    async def _subflows(
        self, definition: FlowDefinition, *, session: AsyncSession
    ) -> dict[str, FlowDefinition]:
        found: dict[str, FlowDefinition] = {}
        pending, depth = [definition], 0
        while pending and depth < MAX_SUBFLOW_DEPTH:
            names = {n.flow for d in pending for n in d.nodes.values() if isinstance(n, SubflowNode)}
            pending = []
            for name in names - found.keys():
                flow = await session.get(FlowRow, name)
                if flow is None or flow.published_version is None:
                    continue  # validation refuses this at publish time; a runtime gap goes to a human
                found[name] = await self._definition(name, flow.published_version, session=session)
                pending.append(found[name])
            depth += 1
        return found

    async def _media(self, language: str, *, session: AsyncSession) -> dict[str, dict[str, str]]:
        """language -> prompt name -> media, for every language the store has (``language`` first)."""
        prompts: dict[str, dict[str, str]] = {}
        for row in (await session.scalars(select(PromptRow))).all():
            prompts.setdefault(row.name, {})[row.language] = (
                f"say:{row.text}" if row.kind == "tts" else row.path
            )
        return media_by_language(prompts, language)

    # -- first start ------------------------------------------------------------------------------------
    async def seed(self, bundle: Bundle) -> bool:
        """Load the bundled flow and its prompts when the IVR has no flow yet; True when it did."""
        async with self.sessions.begin() as session:
            if await session.scalar(select(func.count()).select_from(FlowRow)):
                return False
            for name, by_language in bundle.prompts.items():
                for language, media in by_language.items():
                    if await session.get(PromptRow, (name, language)) is None:
                        session.add(_prompt_row(name, language, media))
        await self.create(
            bundle.name, bundle.definition, description=bundle.description, numbers=bundle.numbers
        )
        await self.publish(bundle.name, 1)
        return True


def _version_row(name: str, version: int, definition: FlowDefinition, comment: str) -> FlowVersionRow:
    text = definition.model_dump_json(by_alias=True)
    return FlowVersionRow(flow=name, version=version, definition=text, comment=comment, created_us=_now_us())


def _prompt_row(name: str, language: str, media: str) -> PromptRow:
    if media.startswith("say:"):
        return PromptRow(
            name=name, language=language, kind="tts", text=media[4:], path="", updated_us=_now_us()
        )
    return PromptRow(name=name, language=language, kind="file", text="", path=media, updated_us=_now_us())
