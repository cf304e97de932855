/// One line per data set and partition kind, for `fedsim list`.
extension WorkloadCatalog {
    public static let datasetSummaries: [(name: String, summary: String)] = [
        ("digits", "8x8 handwritten digits, 1,797 x 64, 10 classes (bundled, UCI CC BY 4.0)"),
        ("breast_cancer", "Breast Cancer Wisconsin, 569 x 30, 2 classes (bundled, UCI CC BY 4.0)"),
        ("skill_teacher", "compositional teacher of the LoRA toy: frozen base + 2 of 8 rank-4 skills per layer per task, 16 tasks (seeded; rows task by task)"),
        ("synthetic_gaussians", "class centres + N(0,1) noise; sizes set in the file (benchmark W2)"),
        ("quadratic_saddle", "one strongly-convex-strongly-concave quadratic game per client (minimax tests)"),
        ("digits_to_mnist8", "two domains: digits (labelled source) and 8x8 MNIST test digits (unlabelled target)"),
        ("mnist8_to_textured", "two domains: 8x8 MNIST halves, the target half blended with random textures"),
        ("gaussian_mixture", "2-D points from 8 Gaussians on a circle (radius 2, std 0.02), label = mode (GAN tests)"),
        ("quadratic_bilevel", "one bilevel quadratic problem per client (bilevel tests)"),
        ("cora", "citation graph, 2,708 nodes, 5,278 edges, 1,433 features, 7 classes (bundled Planetoid files, MIT)"),
        ("planetoid", "any Planetoid graph: `path` (folder of ind.<prefix>.* files) and `prefix` (citeseer, pubmed, ...)"),
        ("graph_csv", "your graph: `nodes` (id,features...,label; label -1 = unlabelled) and `edges` (a,b) CSV files"),
        ("synthetic_interactions", "seeded MovieLens-shaped interactions: power-law popularity, user communities (943 x 1,682 by default)"),
        ("movielens", "MovieLens u.data (user, item, rating, timestamp; tab-separated) from `path`; not bundled"),
        ("interactions_csv", "your interactions: `path` to user,item[,rating][,timestamp] rows"),
    ]

    public static let partitionSummaries: [(name: String, summary: String)] = [
        ("iid", "shuffled, near-equal shares"),
        ("dirichlet", "label skew: per class, client shares ~ Dirichlet(alpha) (graphs: over the nodes)"),
        ("label_split", "each client holds classes_per_client distinct classes"),
        ("contiguous", "client c holds the c-th contiguous block of rows (skill_teacher: 2 tasks each for 8 clients)"),
        ("domains", "two-domain data: source clients with labels, target clients without"),
        ("whole", "graphs: one client holds the whole graph"),
        ("communities", "graphs: Louvain communities dealt to the clients (structure skew)"),
        ("one_user_per_client", "interactions: client u is user u (clients must equal users)"),
    ]
}
