import FedWorkloads

extension Topology {
    /// What the workload catalogue needs from this topology to build the run's data and model.
    public var workloadContext: WorkloadContext {
        WorkloadContext(workload: workload, seed: seed, clients: federation.clients, sourceFile: sourceFile)
    }
}

extension PreparedWorkload {
    /// The data and model of `topology` for a process in `role`.
    public static func prepare(_ topology: Topology, role: Role = .worker) throws -> PreparedWorkload {
        try prepare(topology.workloadContext, role: role)
    }
}
