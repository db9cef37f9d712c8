import QtQuick
import QtTest
import QLifecycle

// ServiceModel: one row per service in start order, roles that follow every transition.
TestCase {
    id: testCase
    name: "ServiceModel"

    ServiceModel { id: model; manager: fixture.manager }

    Repeater {
        id: rows
        model: model
        delegate: Item {
            // In an Item, `state` is the Item's own property: reach the role through `model`.
            property string serviceName: model.name
            property int serviceState: model.state
            property string label: model.name + ": " + model.stateName
            property int started: model.startMs
            property var deps: model.dependencies
        }
    }

    function cleanup() {
        fixture.manager.requestStop()
        tryCompare(fixture.manager, "state", Service.Stopped, 5000)
    }

    function test_rowsFollowTheRun() {
        compare(model.count, 0) // nothing read before the first start
        fixture.manager.requestStart()
        compare(model.count, 4)
        compare(rows.count, 4)
        compare(rows.itemAt(0).serviceName, "config") // dependencies first
        compare(rows.itemAt(3).serviceName, "api")
        compare(rows.itemAt(3).deps.length, 2)
        compare(rows.itemAt(3).deps[0], "db")
        compare(rows.itemAt(3).deps[1], "cache")
        tryCompare(fixture.manager, "state", Service.Running, 5000)
        for (var i = 0; i < rows.count; ++i) {
            compare(rows.itemAt(i).serviceState, Service.Running)
            verify(rows.itemAt(i).started >= 0)
        }
        compare(rows.itemAt(0).label, "config: Running")
        fixture.manager.requestStop()
        tryCompare(rows.itemAt(0), "serviceState", Service.Stopped, 5000)
        compare(rows.itemAt(3).label, "api: Stopped")
    }
}
