"""CRM tables (design §5), one module per area, all on :class:`Base` so one Alembic history covers them."""

from careline.crm.models.appointments import Appointment
from careline.crm.models.base import Base
from careline.crm.models.complaints import Complaint
from careline.crm.models.directory import Department, Expert, Schedule, Slot, Staff
from careline.crm.models.history import AuditEntry, CallRecord, Note
from careline.crm.models.info import InfoItem
from careline.crm.models.patients import Patient, PatientCard, PatientPhone

__all__ = [
    "Appointment",
    "AuditEntry",
    "Base",
    "CallRecord",
    "Complaint",
    "Department",
    "Expert",
    "InfoItem",
    "Note",
    "Patient",
    "PatientCard",
    "PatientPhone",
    "Schedule",
    "Slot",
    "Staff",
]
