from contract import ContractBattery

from adlab.models.baselines import IsolationForest


class TestIsolationForestContract(ContractBattery):
    needs_labels = False

    def make(self, **kw):
        return IsolationForest(n_estimators=50, **kw)
