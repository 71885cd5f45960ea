"""The command line entry points."""
import pytest

from adlab.cli import main


def test_unknown_subcommand_exits_with_usage_error():
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2


def test_demo_prints_a_table_with_auc_columns(capsys):
    assert main(["demo", "--fast"]) == 0
    out = capsys.readouterr().out
    assert "auc_pr" in out and "auc_roc" in out and "IsolationForest" in out


def test_datasets_lists_the_registry(capsys):
    assert main(["datasets"]) == 0
    assert "pendigits" in capsys.readouterr().out
