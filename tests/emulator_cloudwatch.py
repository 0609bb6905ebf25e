"""The emulator's CloudWatch composite alarms (aws_cloudwatch_composite_alarm), one of the
harness-only patches of ``emulator_server.py`` (listed in ``emulator.GAPS``).

moto 5.2 has no PutCompositeAlarm. What the Terraform AWS provider (5.100) calls for the
resource is added, answering as AWS's API reference and its known errors say:

- PutCompositeAlarm creates or, for a name that exists, overwrites a composite alarm:
  AlarmRule, AlarmDescription, ActionsEnabled (default true), AlarmActions, OKActions,
  InsufficientDataActions, ActionsSuppressor with its WaitPeriod and ExtensionPeriod
  (both required with a suppressor), kept as given. A new alarm starts in
  INSUFFICIENT_DATA and gets the request's Tags; an update keeps the state and ignores
  Tags (TagResource and UntagResource change them). Refused with ValidationError: a rule
  outside AWS's grammar (ALARM / OK / INSUFFICIENT_DATA of an alarm name or ARN, TRUE,
  FALSE, AND, OR, NOT, parentheses; AT_LEAST is not accepted here), a rule naming alarms
  that do not exist ("Could not save the composite alarm as alarms [...] in the alarm rule
  do not exist"), a suppressor that does not exist.
- DescribeAlarms filters by AlarmTypes as AWS does (without it only metric alarms) and
  returns composite alarms with their own fields (AlarmArn, AlarmRule, StateValue, the
  suppressor, ...).
- DeleteAlarms deletes at most one composite alarm per call, and no alarm a remaining
  composite alarm's rule names ("Cannot delete X as there are composite alarm(s)
  depending on it"); an alarm's tags go with it (moto kept them).
- ListTagsForResource, TagResource, UntagResource on a composite alarm's ARN: moto's own
  (its tags are kept by alarm ARN, as a metric alarm's are).
"""

from __future__ import annotations

import re
from typing import Any

#: ALARM("name"), OK(name), INSUFFICIENT_DATA("arn:...:alarm:name") in an AlarmRule.
_REFERENCE = re.compile(r'\b(?:ALARM|OK|INSUFFICIENT_DATA)\(\s*(?:"([^"]*)"|([^()\s"]+))\s*\)')
_WORDS = {"AND", "OR", "NOT", "TRUE", "FALSE"}


def references(rule: str) -> list[str]:
    """The alarms (names or ARNs) an AlarmRule names, in order."""
    return [quoted or bare for quoted, bare in _REFERENCE.findall(rule)]


def rule_problem(rule: str) -> str | None:
    """Why AWS would refuse ``rule`` as an AlarmRule, or None."""
    if not 1 <= len(rule) <= 10240:
        return "AlarmRule must be 1 to 10240 characters"
    tokens = re.findall(r"\(|\)|[^\s()]+", _REFERENCE.sub(" STATE ", rule))
    depth, previous = 0, None
    for token in tokens:
        operand = token in ("STATE", "TRUE", "FALSE")
        if token not in _WORDS | {"STATE", "(", ")"}:
            return f"Error in AlarmRule [Unsupported token '{token}']"
        if token == ")":
            depth -= 1
        elif token == "(":
            depth += 1
        after_operand = previous in ("STATE", "TRUE", "FALSE", ")")
        if depth < 0 or (after_operand and (operand or token in ("(", "NOT"))) or \
                (not after_operand and token in ("AND", "OR", ")")):
            return f"Error in AlarmRule [Unexpected token '{token}']"
        previous = token
    if depth or previous not in ("STATE", "TRUE", "FALSE", ")"):
        return "Error in AlarmRule [Unexpected end of rule]"
    return None


def _patch_cloudwatch_composite_alarms() -> None:
    """PutCompositeAlarm; DescribeAlarms AlarmTypes and CompositeAlarms; DeleteAlarms of
    composite alarms and of the alarms they name (aws_cloudwatch_composite_alarm): see the
    module's docstring."""
    from moto.cloudwatch.exceptions import ValidationError
    from moto.cloudwatch.responses import CloudWatchResponse as R
    from moto.core.responses import ActionResult, EmptyResult

    def alarm_named(backend: Any, reference: str) -> Any:
        """The alarm a rule or suppressor names (by name, or by ARN in this account and
        region), or None."""
        name = reference
        if reference.startswith("arn:"):
            prefix = f":cloudwatch:{backend.region_name}:{backend.account_id}:alarm:"
            if prefix not in reference:
                return None
            name = reference.split(prefix, 1)[1]
        return backend.alarms.get(name)

    def put_composite_alarm(self: R) -> ActionResult:
        backend = self.cloudwatch_backend
        name, rule = self._get_param("AlarmName") or "", self._get_param("AlarmRule") or ""
        if not 1 <= len(name) <= 255:
            raise ValidationError("AlarmName must be 1 to 255 characters")
        problem = rule_problem(rule)
        if problem:
            raise ValidationError(problem)
        missing = [r for r in references(rule) if alarm_named(backend, r) is None]
        if missing:
            raise ValidationError(f"Could not save the composite alarm as alarms "
                                  f"[{', '.join(missing)}] in the alarm rule do not exist")
        suppressor = self._get_param("ActionsSuppressor")
        periods = (self._get_param("ActionsSuppressorWaitPeriod"),
                   self._get_param("ActionsSuppressorExtensionPeriod"))
        if suppressor is not None:
            if alarm_named(backend, suppressor) is None:
                raise ValidationError(f"ActionsSuppressor {suppressor} does not exist")
            if None in periods:
                raise ValidationError("ActionsSuppressorWaitPeriod and "
                                      "ActionsSuppressorExtensionPeriod are required with an "
                                      "ActionsSuppressor")
        actions = {p: self._get_param(p) or [] for p in
                   ("AlarmActions", "OKActions", "InsufficientDataActions")}
        if any(len(a) > 5 for a in actions.values()):
            raise ValidationError("At most 5 actions per state")
        before = backend.alarms.get(name)
        alarm = backend.put_metric_alarm(
            name=name, namespace=None, metric_name=None, comparison_operator=None,
            evaluation_periods=None, period=None, threshold=None, statistic=None,
            description=self._get_param("AlarmDescription"), dimensions=[],
            alarm_actions=actions["AlarmActions"], ok_actions=actions["OKActions"],
            insufficient_data_actions=actions["InsufficientDataActions"],
            actions_enabled=self._get_bool_param("ActionsEnabled", True), rule=rule,
            tags=None if before else self._get_param("Tags"))  # tags of an update: ignored
        alarm.harness_suppressor = (suppressor, *periods) if suppressor is not None else None
        if before is not None:  # an update overwrites the configuration, not the state
            for attr in ("state_value", "state_reason", "state_reason_data",
                         "state_updated_timestamp", "history"):
                setattr(alarm, attr, getattr(before, attr))
        else:
            alarm.state_value = "INSUFFICIENT_DATA"
        return EmptyResult()

    def composite(alarm: Any) -> dict:
        shown = {"AlarmName": alarm.name, "AlarmArn": alarm.alarm_arn,
                 "AlarmDescription": alarm.description, "AlarmRule": alarm.rule,
                 "ActionsEnabled": alarm.actions_enabled, "AlarmActions": alarm.alarm_actions,
                 "OKActions": alarm.ok_actions,
                 "InsufficientDataActions": alarm.insufficient_data_actions,
                 "AlarmConfigurationUpdatedTimestamp": alarm.configuration_updated_timestamp,
                 "StateValue": alarm.state_value, "StateReason": alarm.state_reason,
                 "StateReasonData": alarm.state_reason_data,
                 "StateUpdatedTimestamp": alarm.state_updated_timestamp,
                 "StateTransitionedTimestamp": alarm.state_updated_timestamp}
        suppressor = getattr(alarm, "harness_suppressor", None)
        if suppressor:
            shown.update(zip(("ActionsSuppressor", "ActionsSuppressorWaitPeriod",
                              "ActionsSuppressorExtensionPeriod"), suppressor, strict=True))
        return {k: v for k, v in shown.items() if v is not None}

    original_describe = R.describe_alarms

    def describe_alarms(self: R) -> ActionResult:
        found = original_describe(self).result
        types = self._get_param("AlarmTypes") or ["MetricAlarm"]  # AWS: metric alarms only
        return ActionResult({
            "MetricAlarms": list(found["MetricAlarms"]) if "MetricAlarm" in types else [],
            "CompositeAlarms": [composite(a) for a in found["CompositeAlarms"]]
            if "CompositeAlarm" in types else []})

    original_delete = R.delete_alarms

    def delete_alarms(self: R) -> ActionResult:
        backend = self.cloudwatch_backend
        names = self._get_param("AlarmNames") or []
        doomed = [backend.alarms[n] for n in names if n in backend.alarms]
        if sum(a.rule is not None for a in doomed) > 1:
            raise ValidationError("You can delete at most one composite alarm per DeleteAlarms "
                                  "call")
        named = {getattr(alarm_named(backend, r), "name", None)
                 for parent in backend.alarms.values()
                 if parent.rule is not None and parent.name not in names
                 for r in references(parent.rule)}  # by the composites that stay
        blocked = [a.name for a in doomed if a.name in named]
        if blocked:
            raise ValidationError(f"Cannot delete {','.join(blocked)} as there are composite "
                                  f"alarm(s) depending on {'it' if len(blocked) == 1 else 'them'}.")
        result = original_delete(self)
        for alarm in doomed:
            backend.tagger.delete_all_tags_for_resource(alarm.alarm_arn)
        return result

    R.put_composite_alarm = put_composite_alarm
    R.describe_alarms = describe_alarms
    R.delete_alarms = delete_alarms
