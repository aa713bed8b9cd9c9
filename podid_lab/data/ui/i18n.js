// The inside page's labels in Japanese. The page speaks English unless it is asked for Japanese:
// `?lang=ja` in its address, or a browser whose first language is Japanese (`?lang=en` wins).
// Labels only: the events' own lines keep the lab's English, like the logs they mirror.
"use strict";

const JA = {
  "podid lab — inside": "podid ラボ — 内側",
  "Inside the lab: who gives the pod its token?": "ラボの内側: ポッドにトークンを渡すのは誰か",
  "connecting…": "接続しています…",
  "reconnecting…": "再接続しています…",
  "live · %1 events · %2 shown": "ライブ · イベント %1 件 · 表示 %2 件",
  "Timeline": "タイムライン",
  "Filter the timeline": "タイムラインの絞り込み",
  "Kind": "種類",
  "Cluster": "クラスター",
  "Namespace": "名前空間",
  "Pod": "ポッド",
  "Identity": "ID",
  "Outcome": "結果",
  "all": "すべて",
  "Choose an event (Tab, then Enter) to draw its token's journey.":
    "イベントを選ぶと (Tab、続けて Enter)、そのトークンのたどった道筋を描きます。",
  "Events, newest first": "イベント (新しい順)",
  "A token's journey": "トークンの道筋",
  "The token's journey": "トークンの道筋",
  "No token chosen yet.": "まだトークンが選ばれていません。",
  "Claims: service principal, pod identity, Workload ID":
    "クレーム: サービス プリンシパル、ポッド ID、ワークロード ID",
  "Decoded for display; the lab never shows a token itself.":
    "表示用にデコードした内容です。ラボがトークンそのものを見せることはありません。",
  "Clusters: identities, bindings, pods": "クラスター: ID、バインド、ポッド",
  "Service principal": "サービス プリンシパル",
  "Pod identity (NMI)": "ポッド ID (NMI)",
  "Workload ID": "ワークロード ID",
  "claim": "クレーム",
  "no token yet": "トークンはまだありません",
  "No cluster yet.": "クラスターはまだありません。",
  "Pods and what they may use": "ポッドと、使ってよい ID",
  "pod": "ポッド",
  "label": "ラベル",
  "may use": "使ってよい ID",
  "nothing": "なし",
  "Bindings": "バインド",
  "binding": "バインド",
  "selector": "セレクター",
  "identity": "ID",
};

function pageLanguage() {
  const asked = new URLSearchParams(window.location.search).get("lang");
  if (asked === "ja" || asked === "en") return asked;
  return (navigator.languages[0] || navigator.language || "").toLowerCase().startsWith("ja") ? "ja" : "en";
}

const LANGUAGE = pageLanguage();

// The label in the page's language; %1, %2 … are filled from `values`, in order.
function tr(text, ...values) {
  const template = (LANGUAGE === "ja" && JA[text]) || text;
  return template.replace(/%(\d)/g, (_, n) => String(values[Number(n) - 1]));
}

// The page's own labels: elements marked data-i18n (their text) and data-i18n-label (aria-label).
function translatePage() {
  document.documentElement.lang = LANGUAGE;
  document.title = tr(document.title);
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = tr(node.textContent);
  for (const node of document.querySelectorAll("[data-i18n-label]")) {
    node.setAttribute("aria-label", tr(node.getAttribute("aria-label")));
  }
}

document.addEventListener("DOMContentLoaded", translatePage);
