import QtQuick
import QtTest
import QLifecycle

// `Lifecycle.manager` follows ServiceManager::applicationManager(), with managerChanged.
TestCase {
    name: "ApplicationManager"

    SignalSpy { id: changes; target: Lifecycle; signalName: "managerChanged" }

    function init() {
        fixture.setApplicationManager(false)
        changes.clear()
    }

    function test_followsTheApplicationsManager() {
        compare(Lifecycle.manager, null)
        fixture.setApplicationManager(true)
        compare(changes.count, 1)
        compare(Lifecycle.manager, fixture.manager)
        fixture.setApplicationManager(true) // the same one again: no change
        compare(changes.count, 1)
        fixture.setApplicationManager(false)
        compare(changes.count, 2)
        compare(Lifecycle.manager, null)
    }
}
