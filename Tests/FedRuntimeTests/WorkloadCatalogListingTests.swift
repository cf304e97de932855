import FedWorkloads
import Testing

/// `fedsim list` describes every data set and partition kind a topology may name.
@Suite struct WorkloadCatalogListingTests {
    @Test func everyDataSetAndPartitionKind_hasASummary() {
        #expect(WorkloadCatalog.datasetSummaries.map(\.name).sorted() == WorkloadCatalog.datasetNames.sorted())
        #expect(Set(WorkloadCatalog.partitionSummaries.map(\.name))
                == ["iid", "dirichlet", "label_split", "domains", "whole", "communities", "one_user_per_client", "contiguous"])
        #expect(WorkloadCatalog.graphDatasets.isSubset(of: Set(WorkloadCatalog.datasetNames)))
        #expect(WorkloadCatalog.interactionDatasets.isSubset(of: Set(WorkloadCatalog.datasetNames)))
    }
}
