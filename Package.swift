// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Celeriac",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Celeriac", targets: ["Celeriac"]),
        .library(name: "CeleriacCLI", targets: ["CeleriacCLI"]),
        // The web dashboard (`celeriac monitor`), also a router to mount in a Hummingbird app.
        .library(name: "CeleriacDashboard", targets: ["CeleriacDashboard"]),
        // On purpose: users enqueue inside their own transactions on a `Connection`, and read
        // `PostgresError`s; the rest of the module is `package`.
        .library(name: "CeleriacPostgres", targets: ["CeleriacPostgres"]),
        // For users' test suites: a schema per test, running queued tasks, recording what was
        // enqueued (eager mode and `task.apply` are in Celeriac itself).
        .library(name: "CeleriacTesting", targets: ["CeleriacTesting"]),
        .executable(name: "celeriac", targets: ["celeriac"]),
        .executable(name: "demo", targets: ["Demo"]),
        .executable(name: "celeriac-test-worker", targets: ["TestWorker"]),
        .executable(name: "shop-server", targets: ["ShopServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        // `swift package generate-documentation --target Celeriac` (make docs, checked by make test).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // The C library, seen through a module map. Only CeleriacPostgres imports it.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // The one module that talks to libpq: connections, results, errors, LISTEN/NOTIFY.
        .target(
            name: "CeleriacPostgres",
            dependencies: ["CLibPQ"]
        ),
        // Reads sql/: checks the named queries, their parameters and derived blocks, and
        // generates the typed statements (`SQL.Tasks.Claim`) and embedded files at build time,
        // so the SQL files stay the single source of truth and every binary carries them.
        .target(name: "SQLCatalogue"),
        .executableTarget(name: "EmbedSQLTool", dependencies: ["SQLCatalogue"]),
        .plugin(
            name: "EmbedSQL",
            capability: .buildTool(),
            dependencies: ["EmbedSQLTool"]
        ),
        // The public library: app, tasks, canvas, producer, results, worker, schema.
        .target(
            name: "Celeriac",
            dependencies: [
                "CeleriacPostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            plugins: ["EmbedSQL"]
        ),
        // Test helpers for users' suites (the CeleriacTesting product).
        .target(name: "CeleriacTesting", dependencies: ["Celeriac", "CeleriacPostgres"]),
        // The dashboard: pages rendered on the server (Mustache templates, escaped by default),
        // a JSON API on Flower's paths, served by Hummingbird. It reads the monitoring views and
        // calls the control functions through CeleriacApp; it holds no SQL of its own.
        .target(
            name: "CeleriacDashboard",
            dependencies: [
                "Celeriac",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Command-line commands any user executable can host (`worker`, `migrate`, `monitor`, …).
        .target(
            name: "CeleriacCLI",
            dependencies: [
                "Celeriac",
                "CeleriacPostgres",
                "CeleriacDashboard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `celeriac bench`: the benchmark, its raw-SQL ceiling and its worker processes.
        .target(
            name: "CeleriacBenchmarks",
            dependencies: [
                "Celeriac",
                "CeleriacPostgres",
                "CeleriacCLI",
                "CeleriacDashboard",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks"
        ),
        // `celeriac chaos`: the fault suite and its worker processes.
        .target(
            name: "CeleriacChaos",
            dependencies: [
                "Celeriac",
                "CeleriacPostgres",
                "CeleriacCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Chaos"
        ),
        // The standalone admin executable: everything that needs no task code.
        .executableTarget(name: "celeriac", dependencies: ["CeleriacCLI", "CeleriacBenchmarks", "CeleriacChaos"]),
        // A worker with misbehaving tasks (crash, exit, hang) for the fault tests and chaos.
        .executableTarget(name: "TestWorker", dependencies: ["Celeriac", "CeleriacCLI"]),
        // The Celery walkthrough, in Swift.
        .executableTarget(name: "Demo", dependencies: ["Celeriac", "CeleriacCLI"]),
        // The README's Swift blocks, verbatim, so the build compiles them (ReadmeTests checks
        // they still match the README).
        .executableTarget(name: "ReadmeWalkthrough", dependencies: ["Celeriac", "CeleriacCLI"], path: "Examples/ReadmeWalkthrough"),
        .executableTarget(
            name: "ReadmeSnippets",
            dependencies: [
                "Celeriac", "CeleriacCLI", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            path: "Examples/ReadmeSnippets"),
        // The web example: a Hummingbird shop that enqueues in the order's transaction, and
        // its server, running the web app and a worker in one ServiceGroup.
        .target(
            name: "ShopExample",
            dependencies: ["Celeriac", "CeleriacPostgres", .product(name: "Hummingbird", package: "hummingbird")],
            path: "Examples/Shop/ShopExample"),
        .executableTarget(
            name: "ShopServer",
            dependencies: [
                "Celeriac", "ShopExample", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/Shop/ShopServer"),
        .testTarget(
            name: "CeleriacTests",
            dependencies: ["Celeriac", "CeleriacPostgres", "CeleriacCLI", "CeleriacDashboard", "SQLCatalogue"]
        ),
        // CeleriacTesting as a user's suite would use it: public products only, no @testable.
        .testTarget(name: "CeleriacTestingTests", dependencies: ["Celeriac", "CeleriacTesting"]),
        // The SQL catalogue generator's own tests (no database).
        .testTarget(name: "SQLCatalogueTests", dependencies: ["SQLCatalogue"]),
        .testTarget(
            name: "CeleriacIntegrationTests",
            dependencies: [
                "Celeriac", "CeleriacPostgres", "CeleriacCLI", "CeleriacDashboard", "ShopExample",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ]
)
