"""Fixtures dos testes de unidade que precisam de um store do MLflow de verdade (SQLite)."""

from __future__ import annotations

import os

import pytest

from tests import apoio


@pytest.fixture
def store_vazio(tmp_path, monkeypatch):
    """Um MLFLOW_TRACKING_URI para um SQLite que ainda não existe (o monkeypatch o desfaz)."""
    banco = tmp_path / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{banco.as_posix()}")
    return banco


@pytest.fixture
def banco_com_tabelas(tmp_path, tmp_path_factory):
    """O URI de `tmp_path/mlflow.db`, uma cópia do banco vazio; o ambiente não muda."""
    return apoio.copiar_banco_vazio(tmp_path_factory, tmp_path / "mlflow.db")


@pytest.fixture
def cliente(store_vazio, tmp_path_factory):
    """Um MlflowClient sobre uma cópia nova do banco vazio (tests/apoio.py, `banco_vazio`), que é
    também o MLFLOW_TRACKING_URI."""
    from mlflow import MlflowClient

    apoio.copiar_banco_vazio(tmp_path_factory, store_vazio)
    uri = os.environ["MLFLOW_TRACKING_URI"]
    return MlflowClient(uri, registry_uri=uri)
