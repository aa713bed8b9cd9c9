# The article's commands, in its order, as typed (Qiita, "AKSでAAD Pod Identityを使う").
# Placeholders stay as the article wrote them; the test fills them in. Changes, all listed in
# issue 17: the portal cluster is `az group create` + `az aks create --network-plugin azure`;
# `az provider register` follows the feature (Azure requires it); the NMI check is
# `kubectl get daemonset nmi -n kube-system`; `kubectl logs --follow` is stopped after the
# article's three success lines (at most 120 s), retried while the pod is still starting.
set -euo pipefail

az feature register --name EnablePodIdentityPreview --namespace Microsoft.ContainerService
# The article: "State が Registered になっていることが確認できれば OK".
until [ "$(az feature show --name EnablePodIdentityPreview --namespace Microsoft.ContainerService --query properties.state -o tsv)" = Registered ]; do sleep 1; done
az provider register --namespace Microsoft.ContainerService

az extension add --name aks-preview
az extension update --name aks-preview
az extension list

az group create --name <リソースグループ名> --location japaneast
az aks create --resource-group <リソースグループ名> --name <AKSクラスタ名> --network-plugin azure

az aks get-credentials --resource-group <リソースグループ名> --name <AKSクラスタ名>
kubectl config get-contexts

az aks update -g <リソースグループ名> -n <AKSクラスター名> --enable-pod-identity
kubectl get daemonset nmi -n kube-system

az identity create --resource-group <リソースグループ名> --name <マネージドID名>

# AKSノードがあるリソースグループ名取得
NODE_GROUP=$(az aks show -g <リソースグループ名> -n <AKSクラスタ名> --query nodeResourceGroup -o tsv)
# リソースグループのリソースID取得
NODES_RESOURCE_ID=$(az group show -n $NODE_GROUP -o tsv --query "id")
# マネージドIDのクライアントID取得
IDENTITY_CLIENT_ID="$(az identity show -g <リソースグループ名> -n <マネージドID名> --query clientId -otsv)"
# マネージドIDにロール割り当て
az role assignment create --role "Virtual Machine Contributor" --assignee "$IDENTITY_CLIENT_ID" --scope $NODES_RESOURCE_ID

# マネージドIDのリソースID取得
export IDENTITY_RESOURCE_ID="$(az identity show -g <リソースグループ名> -n <マネージドID名> --query id -otsv)"
az aks pod-identity add --resource-group <リソースグループ名> --cluster-name <AKS名> --namespace <AKSの名前空間>  --name <Pod Identity名> --identity-resource-id ${IDENTITY_RESOURCE_ID}
kubectl get AzureIdentity,AzureIdentityBinding --namespace <名前空間>

cat > demo.yaml <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: demo
  labels:
    aadpodidbinding: <Pod Identity名>
spec:
  containers:
  - name: demo
    image: mcr.microsoft.com/oss/azure/aad-pod-identity/demo:v1.6.3
    args:
      - --subscriptionid=<サブスクリプションID>
      - --clientid=<マネージドIDのクライアントID>
      - --resourcegroup=<リソースグループ名>
    env:
      - name: MY_POD_NAME
        valueFrom:
          fieldRef:
            fieldPath: metadata.name
      - name: MY_POD_NAMESPACE
        valueFrom:
          fieldRef:
            fieldPath: metadata.namespace
      - name: MY_POD_IP
        valueFrom:
          fieldRef:
            fieldPath: status.podIP
  nodeSelector:
    kubernetes.io/os: linux
YAML
kubectl apply -f demo.yaml --namespace <名前空間>

# The pipeline's status is grep's: kubectl ends on SIGPIPE once grep has its three lines.
set +o pipefail
deadline=$((SECONDS + 120))
until timeout $((deadline - SECONDS)) kubectl logs demo --follow --namespace <名前空間> \
    | grep -m 3 -E '\] successfully (acquired a token|made GET on instance metadata)'; do
  [ $SECONDS -lt $deadline ] || exit 1
  sleep 1
done
