"""Services hold the rules; widgets and the CLI call them, never the store directly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..library import Library, default_library
from ..settings import Settings
from .access import AccessService
from .canvas import CanvasService
from .decisions import DecisionService
from .evaluation import AssessmentService, SurveyService
from .live import ChangeFeed
from .meetings import MeetingService
from .programme import ProgrammeService
from .progress import ProgressService
from .questions import QuestionService
from .records import RecordService
from .reflection import ReflectionService
from .room import RoomService
from .scoring import ScoringService
from .speaking import SpeakingService
from .teams import TeamsService
from .timer import TimerService
from .trace import TraceService
from .voting import VotingService
from .workshops import WorkshopService

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["Workbook", "ChangeFeed"]


@dataclass
class Workbook:
    """Every service over one store: what a page or a command works with."""

    settings: Settings
    store: Store
    library: Library
    access: AccessService
    workshops: WorkshopService
    canvas: CanvasService
    voting: VotingService
    scoring: ScoringService
    teams: TeamsService
    records: RecordService
    room: RoomService
    meetings: MeetingService
    timer: TimerService
    speaking: SpeakingService
    questions: QuestionService
    progress: ProgressService
    reflection: ReflectionService
    decisions: DecisionService
    surveys: SurveyService
    assessment: AssessmentService
    programme: ProgrammeService
    trace: TraceService

    @classmethod
    def open(cls, settings: Settings | None = None, *, upgrade: bool = False,
             library: Library | None = None, remote: bool = False) -> Workbook:
        """Every service over the store of ``settings``. With ``remote`` and a store server
        in the settings (a participant's page under ``actionlab serve``), the store is reached
        through the server (:mod:`actionlab.remotestore`) and SQLAlchemy is never imported."""
        settings = settings or Settings.from_env()
        if remote and settings.store_socket and not upgrade:
            from ..remotestore import RemoteStore

            store = RemoteStore.open(settings.store_socket)
        else:
            from ..store import Store

            store = Store.open(settings.db_url, upgrade=upgrade,
                               busy_timeout_ms=settings.busy_timeout_ms)
        library = library or default_library()
        canvas = CanvasService(store, library, settings)
        voting = VotingService(store, library)
        scoring = ScoringService(store, library)
        programme = ProgrammeService(store, library)
        trace = TraceService(store, library)
        return cls(
            settings=settings,
            store=store,
            library=library,
            access=AccessService(store),
            workshops=WorkshopService(store, library, settings),
            canvas=canvas,
            voting=voting,
            scoring=scoring,
            teams=TeamsService(store, library),
            records=RecordService(store, library, canvas, scoring, voting, programme=programme,
                                  trace=trace, settings=settings),
            room=RoomService(store, library),
            meetings=MeetingService(store, library),
            timer=TimerService(store, library),
            speaking=SpeakingService(store, library),
            questions=QuestionService(store, library),
            progress=ProgressService(store, library),
            reflection=ReflectionService(store, library),
            decisions=DecisionService(store, library),
            surveys=SurveyService(store, library),
            assessment=AssessmentService(store, library),
            programme=programme,
            trace=trace,
        )

    def feed(self, workshop_id: int, after: int | None = None) -> ChangeFeed:
        return ChangeFeed(self.store, workshop_id, after)

    def warm_up(self) -> None:
        """Do ahead what every page's first read would: set up the ORM's mappings, open a
        database connection, read the canvases and the latest revision. A preheated kernel
        calls this while it waits for its visitor (:mod:`actionlab.preheat`)."""
        self.store.warm_up()
        self.workshops.find("")
        self.library.canvases()
        self.library.meeting_types()
        self.library.surveys()

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()
