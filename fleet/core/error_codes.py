"""The stable codes of the domain errors and their kinds (:mod:`fleet.core.errors` holds their
messages and :class:`~fleet.core.errors.DomainError`)."""

from __future__ import annotations

from enum import Enum, StrEnum


class ErrorKind(Enum):
    INVALID = "invalid"  # the request breaks a rule; nothing was written
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # clashes with existing data (unique number, membership...)
    FORBIDDEN = "forbidden"  # the actor may not do this
    UNAVAILABLE = "unavailable"  # a dependency (database) is down


class ErrorCode(StrEnum):
    # numbering (§3)
    NUMBER_REQUIRED = "number_required"
    NUMBER_INVALID = "number_invalid"
    NUMBER_SHORT_NOT_ALLOWED = "number_short_not_allowed"
    NUMBER_INTERNATIONAL_NOT_ALLOWED = "number_international_not_allowed"
    NUMBER_SPECIAL_NOT_ALLOWED = "number_special_not_allowed"
    NUMBER_PREFIX_NOT_ALLOWED = "number_prefix_not_allowed"
    NUMBER_NOT_MOBILE = "number_not_mobile"
    NUMBER_NOT_FIXED = "number_not_fixed"
    NUMBER_IN_USE = "number_in_use"
    NUMBER_NOT_IN_VPN = "number_not_in_vpn"
    SHORT_NUMBER_INVALID = "short_number_invalid"
    SHORT_NUMBER_IN_USE = "short_number_in_use"
    # fleet
    FLEET_NAME_INVALID = "fleet_name_invalid"
    CURSOR_INVALID = "cursor_invalid"  # a page cursor (lines page, API) not one we gave
    SHORT_NUMBER_LENGTH_INVALID = "short_number_length_invalid"
    SHORT_NUMBER_LENGTH_LOCKED = "short_number_length_locked"
    TIMEZONE_INVALID = "timezone_invalid"
    LANGUAGE_INVALID = "language_invalid"
    # lines
    EMPLOYEE_NAME_INVALID = "employee_name_invalid"
    EMAIL_INVALID = "email_invalid"
    LABEL_INVALID = "label_invalid"
    TRUNK_NAME_INVALID = "trunk_name_invalid"
    PABX_OPTION_REQUIRED = "pabx_option_required"
    LINE_IN_GROUPS = "line_in_groups"
    LINE_IS_GROUP_NUMBER = "line_is_group_number"
    SETTING_VALUE_INVALID = "setting_value_invalid"
    SETTING_CHOICE_INVALID = "setting_choice_invalid"
    # forwarding (§4)
    FORWARDING_KIND_INVALID = "forwarding_kind_invalid"
    FORWARDING_DESTINATION_REQUIRED = "forwarding_destination_required"
    FORWARDING_TO_SELF = "forwarding_to_self"
    FORWARDING_TARGET_INVALID = "forwarding_target_invalid"
    VOICEMAIL_NOT_CONFIGURED = "voicemail_not_configured"
    NO_REPLY_TIMER_INVALID = "no_reply_timer_invalid"
    NO_REPLY_TIMER_NOT_APPLICABLE = "no_reply_timer_not_applicable"
    # incoming-call list
    LIST_TOO_LONG = "list_too_long"
    LIST_EMPTY = "list_empty"
    LIST_DUPLICATE_ENTRY = "list_duplicate_entry"
    LIST_MODE_INVALID = "list_mode_invalid"
    RING_TIME_INVALID = "ring_time_invalid"
    # call groups (§5)
    GROUP_NAME_INVALID = "group_name_invalid"
    GROUP_NAME_IN_USE = "group_name_in_use"
    GROUP_CODE_INVALID = "group_code_invalid"
    GROUP_CODES_IDENTICAL = "group_codes_identical"
    GROUP_QUEUE_INVALID = "group_queue_invalid"
    GROUP_SWITCHOVER_DELAY_INVALID = "group_switchover_delay_invalid"
    GROUP_INTERCALL_DELAY_INVALID = "group_intercall_delay_invalid"
    GROUP_MAX_WAIT_INVALID = "group_max_wait_invalid"
    GROUP_DISTRIBUTION_INVALID = "group_distribution_invalid"
    GROUP_NO_ANSWER_INVALID = "group_no_answer_invalid"
    GROUP_NO_ANSWER_SELF = "group_no_answer_self"
    GROUP_FULL = "group_full"
    GROUP_MEMBER_DUPLICATE = "group_member_duplicate"
    GROUP_MEMBER_OTHER_FLEET = "group_member_other_fleet"
    GROUP_NUMBER_NOT_MEMBER = "group_number_not_member"
    GROUP_NUMBER_MEMBER_REQUIRED = "group_number_member_required"
    GROUP_IS_OVERFLOW_TARGET = "group_is_overflow_target"
    NOT_A_MEMBER = "not_a_member"
    CODE_WRONG = "code_wrong"
    CODE_LOCKED = "code_locked"
    # accounts
    LOGIN_INVALID = "login_invalid"
    LOGIN_IN_USE = "login_in_use"
    PASSWORD_TOO_WEAK = "password_too_weak"
    PASSWORD_WRONG = "password_wrong"
    ACCOUNT_LOCKED = "account_locked"
    LOGIN_THROTTLED = "login_throttled"
    LOGIN_BUSY = "login_busy"
    ACCOUNT_FLEETS_REQUIRED = "account_fleets_required"
    ACCOUNT_LINE_REQUIRED = "account_line_required"
    ACCOUNT_SELF = "account_self"
    # SIP trunks (DESIGN §8)
    TRUNK_UNKNOWN = "trunk_unknown"
    TRUNK_IN_USE = "trunk_in_use"
    TRUNK_NAME_IN_USE = "trunk_name_in_use"
    TRUNK_HOST_INVALID = "trunk_host_invalid"
    TRUNK_HOST_REQUIRED = "trunk_host_required"
    TRUNK_PORT_INVALID = "trunk_port_invalid"
    TRUNK_CREDENTIALS_REQUIRED = "trunk_credentials_required"
    TRUNK_REALM_REQUIRED = "trunk_realm_required"
    TRUNK_USERNAME_INVALID = "trunk_username_invalid"
    TRUNK_USERNAME_IN_USE = "trunk_username_in_use"
    TRUNK_SECRET_INVALID = "trunk_secret_invalid"
    TRUNK_SECRET_KEY_MISSING = "trunk_secret_key_missing"
    TRUNK_VALUE_INVALID = "trunk_value_invalid"
    # schedules (fleet/core/schedules.py)
    SCHEDULE_NAME_INVALID = "schedule_name_invalid"
    SCHEDULE_NAME_IN_USE = "schedule_name_in_use"
    SCHEDULE_TIME_INVALID = "schedule_time_invalid"
    SCHEDULE_RANGE_INVALID = "schedule_range_invalid"
    SCHEDULE_RANGES_OVERLAP = "schedule_ranges_overlap"
    SCHEDULE_TOO_MANY_RANGES = "schedule_too_many_ranges"
    SCHEDULE_HOLIDAY_INVALID = "schedule_holiday_invalid"
    SCHEDULE_HOLIDAY_LABEL_INVALID = "schedule_holiday_label_invalid"
    SCHEDULE_TOO_MANY_HOLIDAYS = "schedule_too_many_holidays"
    SCHEDULE_LIMIT_REACHED = "schedule_limit_reached"
    SCHEDULE_OPPOSITE_FIXED = "schedule_opposite_fixed"
    # presented number (fleet/core/presented.py)
    PRESENTED_CHOICE_INVALID = "presented_choice_invalid"
    PRESENTED_NOT_A_MEMBER = "presented_not_a_member"
    PRESENTED_NO_MAIN_NUMBER = "presented_no_main_number"
    MAIN_NUMBER_NOT_IN_FLEET = "main_number_not_in_fleet"
    # the company directory's contacts (fleet/core/contacts.py)
    CONTACT_NAME_INVALID = "contact_name_invalid"
    CONTACT_TEXT_TOO_LONG = "contact_text_too_long"
    CONTACT_ABBREVIATED_INVALID = "contact_abbreviated_invalid"
    CONTACT_NUMBER_IN_USE = "contact_number_in_use"
    CONTACT_LIMIT_REACHED = "contact_limit_reached"
    SCHEDULE_IN_USE = "schedule_in_use"
    # routing criteria (fleet/core/criteria.py)
    CRITERIA_TARGET_INVALID = "criteria_target_invalid"
    CRITERIA_CALLERS_INVALID = "criteria_callers_invalid"
    CRITERIA_NUMBERS_INVALID = "criteria_numbers_invalid"
    CRITERIA_NUMBERS_UNEXPECTED = "criteria_numbers_unexpected"
    CRITERIA_SCHEDULE_UNKNOWN = "criteria_schedule_unknown"
    CRITERIA_NAME_INVALID = "criteria_name_invalid"
    CRITERIA_TOO_MANY = "criteria_too_many"
    # restriction profiles and call barring (fleet/core/restrictions.py, barring.py)
    DESTINATION_RESTRICTED = "destination_restricted"
    BARRING_PASSWORD_WRONG = "barring_password_wrong"
    BARRING_PASSWORD_INVALID = "barring_password_invalid"
    BARRING_PASSWORD_MISMATCH = "barring_password_mismatch"
    BARRING_LOCKED = "barring_locked"
    # bulk import (fleet/services/fleetio*)
    IMPORT_ENCODING_INVALID = "import_encoding_invalid"
    IMPORT_FORMAT_INVALID = "import_format_invalid"
    IMPORT_COLUMN_UNKNOWN = "import_column_unknown"
    IMPORT_COLUMN_MISSING = "import_column_missing"
    IMPORT_VALUE_INVALID = "import_value_invalid"
    IMPORT_DUPLICATE = "import_duplicate"
    IMPORT_GROUP_UNKNOWN = "import_group_unknown"
    IMPORT_LINE_UNKNOWN = "import_line_unknown"
    # generic
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    DATABASE_UNAVAILABLE = "database_unavailable"
