"""Fixtures dos testes de unidade que precisam de um store do MLflow de verdade (SQLite)."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture
def store_vazio(tmp_path, monkeypatch):
    """Um MLFLOW_TRACKING_URI para um SQLite que ainda não existe (o monkeypatch o desfaz)."""
    banco = tmp_path / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{banco.as_posix()}")
    return banco


@pytest.fixture(scope="session")
def banco_modelo(tmp_path_factory):
    """Um banco do MLflow vazio, já com as tabelas: copiá-lo é bem mais rápido que criá-lo."""
    from mlflow import MlflowClient

    banco = tmp_path_factory.mktemp("banco-modelo") / "mlflow.db"
    MlflowClient(f"sqlite:///{banco.as_posix()}").search_experiments()
    return banco


@pytest.fixture
def cliente(store_vazio, banco_modelo):
    """Um MlflowClient sobre uma cópia nova do banco vazio, que é também o MLFLOW_TRACKING_URI."""
    from mlflow import MlflowClient

    shutil.copyfile(banco_modelo, store_vazio)
    uri = os.environ["MLFLOW_TRACKING_URI"]
    return MlflowClient(uri, registry_uri=uri)
