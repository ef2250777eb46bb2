"""Generate the Grafana dashboards in deploy/grafana/ (JSON, one file per dashboard).

    .venv/bin/python deploy/tools/grafana_dashboards.py deploy/grafana

Written as data here rather than by hand in JSON so that every panel has the same shape: a
`datasource` variable (import into any Grafana with a Prometheus data source, no __inputs), 24
columns, 8 rows per panel. tests/deploy checks the committed files equal a fresh generation and
that every metric named in a panel is exported by a service (or is a named external one).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DS = {"type": "prometheus", "uid": "${datasource}"}


@dataclass(frozen=True)
class Panel:
    title: str
    exprs: tuple[tuple[str, str], ...]  # (PromQL, legend)
    kind: str = "timeseries"  # timeseries, stat, table
    unit: str = "short"
    width: int = 12
    thresholds: tuple[tuple[float | None, str], ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    description: str
    panels: tuple[Panel, ...]
    tags: tuple[str, ...] = field(default=("ballast",))


def P(title: str, *exprs: tuple[str, str], **kw: Any) -> Panel:  # noqa: N802 - a table row
    return Panel(title, tuple(exprs), **kw)


RR_STEPS = ((None, "red"), (1.5, "orange"), (2.0, "yellow"), (3.0, "green"))

DASHBOARDS: tuple[Dashboard, ...] = (
    Dashboard(
        "ballast-treasury", "Ballast / Treasury overview",
        "Reserve ratio, health, tier, safety mode and the accumulation budget (PSTR seed).",
        (
            P("Reserve ratio", ("ballast_treasury_reserve_ratio", "RR"), kind="stat", width=6,
              thresholds=RR_STEPS, description="Critical < 1.5, warning < 2.0, target 3.0"),
            P("Health score", ("ballast_treasury_health_score", "health"), kind="stat", width=6,
              thresholds=((None, "red"), (50, "orange"), (75, "green"))),
            P("Deployment tier", ("ballast_treasury_tier", "tier"), kind="stat", width=6),
            P("Safety mode", ("max by (mode) (ballast_treasury_safety_mode) == 1", "{{mode}}"),
              kind="stat", width=6),
            P("Reserve ratio over time", ("ballast_treasury_reserve_ratio", "RR")),
            P("Treasury value (USD)", ("ballast_treasury_value_usd", "value"), unit="currencyUSD"),
            P("Drawdown vs 30-day VWAP", ("ballast_treasury_drawdown", "drawdown"),
              unit="percentunit"),
            P("PSTR 30-day VWAP", ("ballast_treasury_vwap_30d", "VWAP"),
              ("rate(ballast_treasury_vwap_trades_total[5m])", "trades/s")),
            P("State status", ("max by (status) (ballast_treasury_state_status) == 1",
                               "{{status}}")),
            P("Accumulation budget: hourly requests and the executor's verdict",
              ("increase(ballast_treasury_published_total"
               '{subject="automation.requested.accumulate"}[1h])', "requested"),
              ("sum by (kind, accepted) (increase("
               "ballast_intervention_automation_requests_total[1h]))",
               "{{kind}} accepted={{accepted}}"),
              description="A request refused past the hourly budget shows accepted=false"),
            P("State recompute time p95",
              ("ballast:treasury_recompute_seconds:p95", "p95"), unit="s"),
            P("Chain read errors", ("increase(ballast_treasury_chain_read_errors_total[15m])",
                                    "errors / 15m")),
            P("Liquidity positions (USD, from the chain)",
              ("ballast_treasury_liquidity_value_usd", "{{pair}}"), unit="currencyUSD",
              description="Seed 6: 60% primary pair, 40% stable pair of the liquidity budget"),
            P("Liquidity in range and rebalances",
              ("ballast_treasury_liquidity_in_range_share", "in-range share"),
              ("ballast_treasury_liquidity_rebalances_30d", "rebalances / 30 days"),
              description="In range: pool price inside the ±10% band; rebalance past 15%"),
            P("Liquidity: impermanent loss vs holding and fees earned",
              ("ballast_treasury_liquidity_impermanent_loss", "IL {{pair}}"),
              ("ballast_treasury_liquidity_fees_usd", "fees USD {{pair}}"),
              description="Both since the band was entered (the add or the last rebalance)"),
        ),
    ),
    Dashboard(
        "ballast-oracle", "Ballast / Oracle health",
        "Sources, deviation and consensus status per symbol.",
        (
            P("Consensus status (0 OK, 1 DEGRADED, 2 HALTED)",
              ("ballast_oracle_consensus_status", "{{symbol}}"), kind="stat", width=24,
              thresholds=((None, "green"), (1, "orange"), (2, "red"))),
            P("Consensus price", ("ballast_oracle_consensus_price", "{{symbol}}")),
            P("Max source deviation from the median",
              ("ballast_oracle_consensus_max_deviation", "{{symbol}}"), unit="percentunit",
              thresholds=((None, "green"), (0.05, "red"))),
            P("Sources used in consensus", ("ballast_oracle_consensus_sources_used",
                                            "{{symbol}}")),
            P("Source up", ("ballast_oracle_source_up", "{{source}} {{symbol}}")),
            P("Source reading age", ("ballast_oracle_source_age_seconds",
                                     "{{source}} {{symbol}}"), unit="s"),
            P("Source price", ("ballast_oracle_source_price", "{{source}} {{symbol}}")),
            P("Source errors", ("sum by (source, kind) (rate(ballast_oracle_source_errors_total"
                                "[5m]))", "{{source}} {{kind}}")),
            P("Source request latency p95",
              ("histogram_quantile(0.95, sum by (le, source) "
               "(rate(ballast_oracle_source_request_seconds_bucket[5m])))", "{{source}}"),
              unit="s"),
            P("Readings in", ("ballast:oracle_observations:rate1m", "{{source}} {{symbol}}"),
              unit="reqps"),
            P("Consensus and trades published",
              ("sum by (symbol) (rate(ballast_oracle_consensus_published_total[5m]))",
               "consensus {{symbol}}"),
              ("sum by (venue, pair) (rate(ballast_oracle_trades_total[5m]))",
               "trades {{venue}} {{pair}}")),
            P("Correlated move held back (rounds DEGRADED against the anchor)",
              ("sum by (symbol) (increase(ballast_oracle_consensus_checks_failed_total"
               "{check=\"correlated_move\"}[5m]))", "{{symbol}}"),
              description="Consensus further than anchor_max_move from the anchor (or slow "
              "average): a pump of every market source, or a move not yet confirmed."),
            P("Two sources disagree (rounds DEGRADED)",
              ("sum by (symbol) (increase(ballast_oracle_consensus_checks_failed_total"
               "{check=\"two_source_disagreement\"}[5m]))", "{{symbol}}")),
            P("Emergency source consulted (quorum failed)",
              ("sum by (symbol) (increase(ballast_oracle_consensus_checks_failed_total"
               "{check=\"emergency_source\"}[5m]))", "{{symbol}}")),
            P("Operator price confirmations",
              ("sum by (symbol, outcome) (increase(ballast_oracle_operator_confirmations_total"
               "[1h]))", "{{symbol}} {{outcome}}")),
            P("History writes", ("sum by (table) (rate(ballast_oracle_db_rows_total[5m]))",
                                 "rows {{table}}"),
              ("sum by (table) (rate(ballast_oracle_db_errors_total[5m]))", "errors {{table}}")),
        ),
    ),
    Dashboard(
        "ballast-intervention", "Ballast / Intervention path",
        "From treasury.state to a decision, a transaction and its outcome.",
        (
            P("Decisions", ("sum by (action, rule) (increase("
                            "ballast_intervention_decisions_total[1h]))", "{{action}} {{rule}}"),
              description="rule is the first blocking rule; empty when the decision acts"),
            P("Outcomes", ("sum by (kind, status) (increase("
                           "ballast_intervention_outcomes_total[1h]))", "{{kind}} {{status}}")),
            P("Decision latency (treasury.state handled -> intervention.decided)",
              ("ballast:intervention_decision_seconds:p95", "p95"),
              ("histogram_quantile(0.5, sum by (le) "
               "(rate(ballast_intervention_decision_seconds_bucket[5m])))", "p50"), unit="s"),
            P("Handler time per subscriber p95",
              ("histogram_quantile(0.95, sum by (le, handler) (rate("
               'ballast_bus_received_processed_messages_duration_seconds_bucket'
               '{app_name="intervention"}[5m])))', "{{handler}}"), unit="s"),
            P("Transactions sent", ("sum by (result) (increase("
                                    "ballast_intervention_broadcasts_total[1h]))", "{{result}}"),
              ("increase(ballast_intervention_replacements_total[1h])", "replaced")),
            P("Executor lease and pause",
              ("max(ballast_intervention_executor_lease)", "lease held"),
              ("max(ballast_intervention_paused)", "paused")),
            P("Operator commands", ("sum by (command, accepted) (increase("
                                    "ballast_intervention_control_commands_total[1h]))",
                                    "{{command}} accepted={{accepted}}")),
            P("Automation requests", ("sum by (kind, accepted) (increase("
                                      "ballast_intervention_automation_requests_total[1h]))",
                                      "{{kind}} accepted={{accepted}}")),
        ),
    ),
    Dashboard(
        "ballast-etf", "Ballast / StakeBasket ETF",
        "NAV, AUM, the unbonding queue, price feeds, allocation and invariants.",
        (
            P("NAV per BASKET", ("ballast_etf_nav_per_share_usd", "NAV"), kind="stat", width=6,
              unit="currencyUSD"),
            P("AUM", ("ballast_etf_aum_usd", "AUM"), kind="stat", width=6, unit="currencyUSD"),
            P("Unbonding queue", ("ballast_etf_queue_length", "requests"), kind="stat", width=6),
            P("Invariants holding", ("min(ballast_etf_invariant_ok)", "all ok"), kind="stat",
              width=6, thresholds=((None, "red"), (1, "green"))),
            P("NAV per BASKET over time", ("ballast_etf_nav_per_share_usd", "NAV"),
              unit="currencyUSD"),
            P("AUM by part", ("ballast_etf_aum_part_usd", "{{part}}"), unit="currencyUSD"),
            P("Queue: oldest request's wait", ("ballast_etf_queue_oldest_wait_seconds", "wait"),
              unit="s"),
            P("Instant withdrawal capacity", ("ballast_etf_instant_withdrawal_capacity_usd",
                                              "capacity"), unit="currencyUSD"),
            P("BASKET supply", ("ballast_etf_basket_supply", "supply (base units)")),
            P("PriceFeed", ("ballast_etf_feed_price_usd", "{{symbol}}"),
              ("ballast_etf_feed_age_seconds", "age {{symbol}}"),
              ("ballast_etf_feed_ok", "ok {{symbol}}")),
            P("Validator allocation (bps)", ("ballast_etf_allocation_bps",
                                             "{{validator}} {{kind}}")),
            P("Max allocation deviation (bps)", ("ballast_etf_max_allocation_deviation_bps",
                                                 "deviation"),
              thresholds=((None, "green"), (1000, "red")),
              description="The executor rebalances past 1000 bps (10%)"),
            P("CORE/BTC asset drift (bps)", ("ballast_etf_asset_drift_bps", "drift"),
              thresholds=((None, "green"), (1000, "red")),
              description="The executor trades the overweight asset past 1000 bps (10%)"),
            P("Realised APY vs native CORE staking",
              ("ballast_etf_realised_apy", "basket (NAV growth, 30 days)"),
              ("ballast_validator_monitor_our_apy", "native CORE delegation (validator monitor)"),
              unit="percentunit",
              description="StakeBasket seed success metric: APY competitive with Core native "
                          "staking"),
            P("TVL and unique depositors", ("ballast_etf_aum_usd", "TVL (AUM, USD)"),
              ("ballast_etf_unique_depositors", "unique depositors")),
            P("Withdrawals the stake cannot fund",
              ("ballast_intervention_withdrawals_unfundable_raw", "{{asset}} (base units)"),
              thresholds=((None, "green"), (1, "red")),
              description="The executor recalls the queue's shortfall plus the buffer; above 0 "
                          "a request will not be paid at maturity"),
            P("Invariants", ("ballast_etf_invariant_ok", "{{name}}"), kind="table"),
            P("Indexer", ("ballast_contract_monitor_block", "{{kind}}"),
              ("sum by (event) (increase(ballast_contract_monitor_events_total[1h]))",
               "{{event}} / h"),
              ("increase(ballast_contract_monitor_reorgs_total[1h])", "reorgs / h")),
        ),
    ),
    Dashboard(
        "ballast-validators", "Ballast / Validators",
        "The Core validators the ETF delegates to: status, missed blocks, commission, APY.",
        (
            P("Round", ("ballast_validator_monitor_round", "round"), kind="stat", width=6),
            P("Our stake-weighted APY", ("ballast_validator_monitor_our_apy", "APY"), kind="stat",
              width=6, unit="percentunit"),
            P("Jailed validators with our delegation",
              ("count((ballast_validator_status_flag{flag=\"jailed\"} == 1) and on (operator) "
               "(ballast_validator_our_delegation_wei > 0)) or vector(0)", "jailed"),
              kind="stat", width=6, thresholds=((None, "green"), (1, "red"))),
            P("Polls", ("sum by (outcome) (increase("
                        "ballast_validator_monitor_polls_total[1h]))", "{{outcome}}"),
              kind="stat", width=6),
            P("Status flags", ("ballast_validator_status_flag == 1", "{{operator}} {{flag}}"),
              kind="table"),
            P("Missed blocks vs thresholds", ("ballast_validator_missed_blocks", "{{operator}}"),
              ("ballast_validator_monitor_threshold", "threshold {{kind}}")),
            P("Our delegation (wei)", ("ballast_validator_our_delegation_wei", "{{operator}}")),
            P("Total delegated (wei)", ("ballast_validator_total_delegated_wei",
                                        "{{operator}}")),
            P("Estimated APY", ("ballast_validator_estimated_apy", "{{operator}}"),
              unit="percentunit"),
            P("Commission (thousandths)", ("ballast_validator_commission_thousandths",
                                           "{{operator}}")),
            P("Score and round income", ("ballast_validator_score", "score {{operator}}"),
              ("ballast_validator_income_wei", "income {{operator}}")),
            P("Jailed until round", ("ballast_validator_jailed_until_round > 0",
                                     "{{operator}}")),
            P("Facts published", ("sum by (subject) (increase("
                                  "ballast_validator_monitor_facts_total[1h]))", "{{subject}}"),
              ("increase(ballast_validator_monitor_duplicate_facts_total[1h])", "duplicates")),
            P("Poll duration p95", ("histogram_quantile(0.95, sum by (le) (rate("
                                    "ballast_validator_monitor_poll_seconds_bucket[5m])))",
                                    "p95"), unit="s"),
        ),
    ),
    Dashboard(
        "ballast-bus", "Ballast / Bus health",
        "Consumer lag, dead letters, heartbeats, per-service message rates, alert delivery.",
        (
            P("Services up", ('up{job=~"ballast-.*"}', "{{job}} {{instance}}"), kind="stat",
              width=24, thresholds=((None, "red"), (1, "green"))),
            P("Consumer lag (pending)", ("ballast:consumer_pending:max",
                                         "{{stream_name}}/{{consumer_name}}")),
            P("Unacknowledged (ack pending)",
              ("max by (stream_name, consumer_name) (jetstream_consumer_num_ack_pending"
               '{is_consumer_leader="true"})', "{{stream_name}}/{{consumer_name}}")),
            P("Redeliveries", ("max by (stream_name, consumer_name) (jetstream_consumer_"
                               'num_redelivered{is_consumer_leader="true"})',
                               "{{stream_name}}/{{consumer_name}}")),
            P("Dead letters", ("ballast:deadletters:rate5m", "{{subject}}"), unit="reqps"),
            P("Heartbeats into HEARTBEATS", ("ballast:heartbeats:rate5m", "beats/s"),
              unit="reqps",
              description="Each service beats every 10 s; per-service absences page from "
                          "the alerts service"),
            P("Stream sizes", ('max by (stream_name) (jetstream_stream_total_messages'
                               '{is_stream_leader="true"})', "{{stream_name}}")),
            P("Received per service", ("sum by (app_name) (rate("
                                       "ballast_bus_received_messages_total[5m]))",
                                       "{{app_name}}"), unit="reqps"),
            P("Published per stream", ("sum by (stream) (rate("
                                       "ballast_bus_published_total[5m]))", "{{stream}}"),
              unit="reqps"),
            P("Handler errors", ("ballast:bus_handler_errors:rate5m", "{{app_name}} {{handler}}"),
              unit="reqps"),
            P("Handler time p95", ("histogram_quantile(0.95, sum by (le, app_name) (rate("
                                   "ballast_bus_received_processed_messages_duration_seconds"
                                   "_bucket[5m])))", "{{app_name}}"), unit="s"),
            P("Firing alerts (alerts service)", ("ballast_alerts_active", "{{severity}}")),
            P("Alert deliveries", ("sum by (channel, result) (increase("
                                   "ballast_alerts_deliveries_total[1h]))",
                                   "{{channel}} {{result}}"),
              ("increase(ballast_alerts_expired_notifications_total[1h])", "expired")),
        ),
    ),
    Dashboard(
        "ballast-risk", "Ballast / Risk, performance and the gateway",
        "The key figures of the risk, performance and liquidity reports (stored by the gateway; "
        "PSTR seed 'Key Metrics & KPIs'), and the gateway's streams and control commands.",
        (
            P("VaR 95% 1-day (USD)", ('ballast_risk_var_usd', "{{method}}"), unit="currencyUSD",
              description="Alert when the historical VaR passes 10% of the portfolio"),
            P("Expected shortfall 95% (USD)", ("ballast_risk_expected_shortfall_usd", "ES"),
              ("ballast_risk_portfolio_value_usd", "portfolio"), unit="currencyUSD"),
            P("PUMP concentration", ("ballast_risk_pump_concentration", "PUMP share"),
              kind="stat", width=6, unit="percentunit",
              thresholds=((None, "green"), (0.7, "yellow"), (0.8, "red")),
              description="PSTR seed: maximum 80% PUMP concentration"),
            P("Market risk level", ("ballast_risk_market_level", "level"), kind="stat", width=6,
              thresholds=((None, "blue"), (0, "green"), (1, "yellow"), (2, "orange"),
                          (3, "red")),
              description="-1 unknown (short history), 0 low, 1 medium, 2 high, 3 extreme"),
            P("Sharpe ratio", ("ballast_performance_sharpe_ratio", "Sharpe"), kind="stat",
              width=6),
            P("Max drawdown", ("ballast_performance_max_drawdown", "max DD"), kind="stat",
              width=6, unit="percentunit"),
            P("Intervention success rate",
              ("ballast_performance_intervention_success_rate", "success"), kind="stat", width=6,
              unit="percentunit"),
            P("30-day treasury growth", ("ballast_performance_treasury_growth_30d", "growth"),
              kind="stat", width=6, unit="percentunit"),
            P("Execution cost per intervention (USD)",
              ("ballast_performance_execution_cost_usd", "cost"), kind="stat", width=6,
              unit="currencyUSD"),
            P("Liquidity in range", ("ballast_liquidity_in_range_share", "in range"),
              kind="stat", width=6, unit="percentunit"),
            P("Liquidity value (USD)", ("ballast_liquidity_value_usd", "LP value"),
              unit="currencyUSD"),
            P("Gateway stream clients", ("ballast_gateway_stream_clients", "clients")),
            P("Gateway frames", ("rate(ballast_gateway_stream_frames_sent_total[5m])", "sent"),
              ("rate(ballast_gateway_stream_frames_dropped_total[5m])", "dropped"),
              ("rate(ballast_gateway_stream_messages_total[5m])", "bus in"), unit="reqps"),
            P("Gateway clients cut", ("sum by (reason) (increase("
                                      "ballast_gateway_stream_clients_cut_total[1h]))",
                                      "{{reason}}")),
            P("Control commands and refusals",
              ("sum by (verb) (increase(ballast_gateway_control_commands_total[1h]))",
               "{{verb}}"),
              ("sum by (why) (increase(ballast_gateway_auth_denied_total[1h]))",
               "refused: {{why}}")),
        ),
    ),
)


def panel_json(panel: Panel, pid: int, x: int, y: int) -> dict[str, Any]:
    height = 5 if panel.kind == "stat" else 8
    defaults: dict[str, Any] = {"unit": panel.unit}
    if panel.thresholds:
        defaults["thresholds"] = {
            "mode": "absolute",
            "steps": [{"value": v, "color": c} for v, c in panel.thresholds],
        }
    data: dict[str, Any] = {
        "id": pid,
        "type": panel.kind,
        "title": panel.title,
        "datasource": DS,
        "gridPos": {"h": height, "w": panel.width, "x": x, "y": y},
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": DS, "expr": expr,
             "legendFormat": legend, **({"instant": True, "format": "table"}
                                        if panel.kind == "table" else {})}
            for i, (expr, legend) in enumerate(panel.exprs)
        ],
    }
    if panel.description:
        data["description"] = panel.description
    return data


def dashboard_json(d: Dashboard) -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    x = y = row_height = 0
    for i, panel in enumerate(d.panels, start=1):
        if x + panel.width > 24:
            x, y, row_height = 0, y + row_height, 0
        item = panel_json(panel, i, x, y)
        panels.append(item)
        x += panel.width
        row_height = max(row_height, item["gridPos"]["h"])
    return {
        "uid": d.uid,
        "title": d.title,
        "description": d.description,
        "tags": list(d.tags),
        "editable": True,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "timezone": "utc",
        "templating": {"list": [{
            "name": "datasource", "label": "Prometheus", "type": "datasource",
            "query": "prometheus", "current": {}, "hide": 0,
        }]},
        "panels": panels,
    }


def render() -> dict[str, str]:
    """File name -> JSON text, for every dashboard."""
    return {
        f"{d.uid.removeprefix('ballast-')}.json":
            json.dumps(dashboard_json(d), indent=2, sort_keys=True) + "\n"
        for d in DASHBOARDS
    }


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "deploy/grafana")
    out.mkdir(parents=True, exist_ok=True)
    for name, text in render().items():
        (out / name).write_text(text)
