"""O contrato dos dados (curso_mlops.dados) em CSVs de teste: o que é aceito, o que é
recusado e com que mensagem. Os CSVs guardados em data/ são conferidos em tests/dados/."""

import pytest

from curso_mlops import dados

CABECALHO = "pedido_id,data_hora,dia_semana,hora,regiao,distancia,chuva,itens,tempo_entrega"
LINHA_BOA = "P000001,2025-03-03 12:10,seg,12,Centro,3.2,0,2,16.5"


def escrever(pasta, texto, nome="pedidos.csv"):
    caminho = pasta / nome
    caminho.write_text(texto, encoding="utf-8")
    return caminho


def test_arquivo_bom_passa(tmp_path):
    df = dados.carregar(escrever(tmp_path, f"{CABECALHO}\n{LINHA_BOA}\n"))
    assert df.loc[0, "distancia"] == 3.2 and df.loc[0, "hora"] == 12


@pytest.mark.parametrize("cabecalho, coluna, trecho", [
    (CABECALHO.replace(",distancia", ""), "distancia", "coluna obrigatória"),
    (CABECALHO.replace("distancia", "distancia_km"), "distancia", "distancia_km"),
])
def test_coluna_faltando_ou_renomeada(tmp_path, cabecalho, coluna, trecho):
    linha = LINHA_BOA if "distancia_km" in cabecalho else LINHA_BOA.replace(",3.2", "")
    caminho = escrever(tmp_path, f"{cabecalho}\n{linha}\n")
    with pytest.raises(dados.ErroDeContrato) as erro:
        dados.carregar(caminho)
    assert erro.value.coluna == coluna and erro.value.arquivo == "pedidos.csv"
    assert trecho in str(erro.value) and "pedidos.csv" in str(erro.value)


@pytest.mark.parametrize("troca, coluna, regra", [
    ((",3.2,", ",três,"), "distancia", "tipo: número"),
    ((",2,16.5", ",2.5,16.5"), "itens", "tipo: número inteiro"),
    (("2025-03-03 12:10", "03/03/2025"), "data_hora", "tipo: data e hora"),
])
def test_tipo_errado(tmp_path, troca, coluna, regra):
    caminho = escrever(tmp_path, f"{CABECALHO}\n{LINHA_BOA.replace(*troca)}\n")
    with pytest.raises(dados.ErroDeContrato) as erro:
        dados.carregar(caminho, estrito=False)
    assert erro.value.coluna == coluna and erro.value.regra.startswith(regra)
    assert "linha 2" in str(erro.value)


@pytest.mark.parametrize("troca, coluna, trecho", [
    ((",3.2,", ",-3.2,"), "distancia", "valores em (0, 50] km"),
    ((",3.2,", ",0,"), "distancia", "valores em (0, 50] km"),
    ((",16.5", ",999"), "tempo_entrega", "valores em [1, 180] min"),
    ((",12,Centro", ",25,Centro"), "hora", "valores em [0, 23] h"),
    ((",0,2,", ",2,2,"), "chuva", "valores em [0, 1]"),
    ((",seg,", ",segunda,"), "dia_semana", "valores permitidos"),
    ((",3.2,", ",,"), "distancia", "sem valores faltando"),
])
def test_valor_impossivel_nomeia_arquivo_coluna_e_regra(tmp_path, troca, coluna, trecho):
    ruim = LINHA_BOA.replace("P000001", "P000002").replace(*troca)
    caminho = escrever(tmp_path, f"{CABECALHO}\n{LINHA_BOA}\n{ruim}\n")
    assert len(dados.carregar(caminho, estrito=False)) == 2  # a estrutura está certa
    with pytest.raises(dados.ErroDeContrato) as erro:
        dados.carregar(caminho)
    mensagem = str(erro.value)
    assert erro.value.coluna == coluna and trecho in mensagem
    assert mensagem.startswith("pedidos.csv:") and "linha 3" in mensagem


def test_pedido_repetido(tmp_path):
    caminho = escrever(tmp_path, f"{CABECALHO}\n{LINHA_BOA}\n{LINHA_BOA}\n")
    with pytest.raises(dados.ErroDeContrato, match="pedido_id.*identificador único.*linha 3"):
        dados.carregar(caminho)


def test_arquivo_que_nao_existe(tmp_path):
    with pytest.raises(dados.ErroDeDados, match="arquivo não encontrado.*make_data.py"):
        dados.carregar(tmp_path / "sumiu.csv")


@pytest.mark.parametrize("conteudo, trecho", [
    ("", "vazio"),
    (f'{CABECALHO}\n"P1,2025-03-03 12:10,seg\n', "não é um CSV legível"),
    (f"{CABECALHO}\n{LINHA_BOA},a,b,c\n", "não é um CSV legível"),
])
def test_csv_quebrado(tmp_path, conteudo, trecho):
    with pytest.raises(dados.ErroDeDados, match=trecho):
        dados.carregar(escrever(tmp_path, conteudo))


def test_csv_binario(tmp_path):
    caminho = tmp_path / "pedidos.csv"
    caminho.write_bytes(b"\xff\xfe\x00\x00garbage\x00")
    with pytest.raises(dados.ErroDeDados):
        dados.carregar(caminho)


def test_validar_dataframe_limpo_devolve_o_mesmo():
    bruto = dados.carregar_entregas(estrito=False)
    limpo = bruto.drop_duplicates("pedido_id").dropna(subset=["distancia", "tempo_entrega"])
    limpo = limpo[limpo["distancia"].between(0, 50, inclusive="right")
                  & limpo["tempo_entrega"].between(1, 180)]
    assert dados.validar(limpo, "limpo") is limpo


def test_versao_dos_dados_muda_com_um_byte(tmp_path):
    a = escrever(tmp_path, f"{CABECALHO}\n{LINHA_BOA}\n", "a.csv")
    b = escrever(tmp_path, f"{CABECALHO}\n{LINHA_BOA.replace('16.5', '16.6')}\n", "b.csv")
    assert len(dados.versao_dos_dados(a)) == 12
    assert dados.versao_dos_dados(a) != dados.versao_dos_dados(b)
    assert dados.versao_dos_dados(a) == dados.versao_dos_dados(a)


def test_filtrar_validos_tira_o_que_o_contrato_recusa():
    bruto = dados.carregar_entregas(estrito=False)
    limpo, contagem = dados.filtrar_validos(bruto)
    assert len(limpo) == 1975 and sum(contagem.values()) == len(bruto) - 1975
    assert contagem["pedido_id: identificador único"] == 12
    assert contagem["distancia: sem valores faltando"] == 8
    assert contagem["distancia: valores em (0, 50] km"] == 6
    assert dados.validar(limpo) is limpo


def test_filtrar_validos_nao_muda_dados_limpos():
    semana = dados.carregar_semana(1)
    limpo, contagem = dados.filtrar_validos(semana)
    assert contagem == {} and limpo.equals(semana)
