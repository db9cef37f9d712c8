import QtQuick
import QtTest
import QLifecycle

// ServiceTable (docs/qml.md, "Ready-made components"): a row per service with its state, times
// ("—" when not measured in this run), tasks, restarts, health and error, Retry for a failed
// service, and columns that give way as the table narrows.
TestCase {
    id: testCase
    name: "ServiceTable"
    when: windowShown
    visible: true // a TestCase is not: its items are shown, and clickable
    width: 1280
    height: 600

    property ServiceManager manager: fixture.manager

    ServiceTable {
        id: table
        width: 1280
        height: 400
        manager: testCase.manager
    }

    // The delegate of a row, and a named item in it (the visible one, if it has two: Retry is
    // in the error column, or on the line under the row).
    function row(i) {
        return table.view.itemAtIndex(i)
    }
    function all(item, name, found) {
        if (item.objectName === name)
            found.push(item)
        for (let i = 0; i < item.children.length; ++i)
            all(item.children[i], name, found)
        return found
    }
    function child(item, name) {
        const found = all(item, name, [])
        const shown = found.filter(each => each.visible)
        return shown.length > 0 ? shown[0] : found.length > 0 ? found[0] : null
    }
    function text(i, name) {
        return child(row(i), name).text
    }

    function init() {
        fixture.setDatabaseFails(false)
        table.width = 1280
        tryCompare(table.view, "width", table.availableWidth)
        compare(manager.state, Service.Stopped)
    }

    function cleanup() {
        fixture.setDatabaseFails(false)
        fixture.setDatabaseCrashes(false)
        fixture.setDatabaseRestarts(false)
        fixture.setCacheOptional(false)
        fixture.setCacheFails(false)
        manager.requestStop()
        tryVerify(() => manager.state === Service.Stopped || manager.state === Service.Failed,
                  5000)
        if (manager.state === Service.Failed) {
            manager.requestStart()
            tryCompare(manager, "state", Service.Running, 5000)
            manager.requestStop()
            tryCompare(manager, "state", Service.Stopped, 5000)
        }
    }

    function test_rowsFollowTheRun() {
        manager.requestStart()
        tryCompare(table.view, "count", 4)
        tryVerify(() => row(3) !== null)
        compare(row(0).name, "config")
        compare(row(3).name, "api")
        compare(row(3).detail, "needs db, cache")
        tryCompare(manager, "state", Service.Running, 5000)
        for (let i = 0; i < 4; ++i) {
            compare(child(row(i), "badge").text, "Running")
            verify(/^\d+ ms$/.test(text(i, "startTime")), text(i, "startTime"))
            compare(text(i, "stopTime"), "—") // not stopped in this run
            compare(text(i, "tasks"), "—")
            compare(text(i, "restarts"), "0")
            compare(text(i, "health"), "Healthy")
        }
        manager.requestStop()
        tryCompare(manager, "state", Service.Stopped, 5000)
        for (let j = 0; j < 4; ++j) {
            compare(child(row(j), "badge").text, "Stopped")
            verify(/^\d+ ms$/.test(text(j, "stopTime")), text(j, "stopTime"))
            compare(text(j, "health"), "—") // healthy, and no longer running
        }
    }

    function test_aRestartShowsNoTimeOfTheLastRun() {
        manager.requestStart()
        tryCompare(manager, "state", Service.Running, 5000)
        manager.requestStop()
        tryCompare(manager, "state", Service.Stopped, 5000)
        verify(text(0, "stopTime") !== "—")
        manager.requestStart() // the start has begun when it returns
        compare(manager.state, Service.Starting)
        for (let i = 0; i < 4; ++i) {
            compare(text(i, "startTime"), "—")
            compare(text(i, "stopTime"), "—")
        }
        tryCompare(manager, "state", Service.Running, 5000)
        compare(text(0, "stopTime"), "—")
    }

    function test_failedServiceOffersRetry() {
        fixture.setDatabaseFails(true)
        manager.requestStart()
        tryCompare(manager, "state", Service.Failed, 5000)
        const db = row(1)
        compare(db.name, "db")
        compare(child(db, "badge").text, "Failed")
        verify(db.errorString.indexOf("scripted failure") >= 0, db.errorString)
        const retry = child(db, "retry")
        compare(retry.visible, true)
        compare(retry.enabled, true)
        compare(child(row(0), "retry").visible, false) // config did not fail
        fixture.setDatabaseFails(false)
        mouseClick(retry)
        compare(manager.state, Service.Starting)
        tryCompare(manager, "state", Service.Running, 5000)
        compare(retry.visible, false)
    }

    // An optional service that failed while the graph runs: Retry at once, for it alone.
    function test_optionalServiceRetriesAlone() {
        fixture.setCacheOptional(true)
        fixture.setCacheFails(true)
        manager.requestStart()
        tryCompare(manager, "state", Service.Running, 5000)
        const cache = row(2)
        compare(cache.name, "cache")
        compare(child(cache, "badge").text, "Failed")
        tryCompare(manager, "health", Service.Degraded)
        const retry = child(cache, "retry")
        compare(retry.visible, true)
        compare(retry.enabled, true)
        fixture.setCacheFails(false)
        mouseClick(retry)
        tryCompare(child(cache, "badge"), "text", "Running", 5000)
        compare(manager.state, Service.Running)
        tryCompare(manager, "health", Service.Healthy)
        compare(retry.visible, false)
    }

    // A crash of db (restarted 400 ms later, with api, which needs it): the pending delay
    // under the restart count, then the count; the cache's health and its reason. Narrow, what
    // the hidden columns say goes on the line under the row.
    function test_restartsAndHealthShow() {
        fixture.setDatabaseRestarts(true)
        fixture.setDatabaseCrashes(true)
        manager.requestStart()
        tryCompare(table.view, "count", 4)
        tryVerify(() => row(1) !== null)
        const db = row(1)
        compare(db.name, "db")
        tryVerify(() => db.restartDelayMs >= 0, 5000)
        fixture.setDatabaseCrashes(false) // the restart runs on
        tryCompare(child(db, "badge"), "text", "Failed") // it stops (it ran), then waits
        compare(child(db, "retry").visible, false) // the manager restarts it
        compare(text(1, "restarts"), "0")
        // 400 ms, give or take the jitter
        verify(/^restart in 0\.[345] s$/.test(child(db, "restarts").detail),
               child(db, "restarts").detail)
        tryCompare(db, "restartCount", 1, 5000)
        tryCompare(child(db, "badge"), "text", "Running", 5000)
        compare(text(1, "restarts"), "1")
        compare(child(db, "restarts").detail, "")
        compare(text(3, "restarts"), "1") // api was restarted with it
        compare(text(2, "restarts"), "0")
        compare(manager.state, Service.Running) // a restarted failure is no failure of the run

        const cache = row(2)
        compare(cache.name, "cache")
        compare(text(2, "health"), "Healthy")
        compare(child(cache, "health").detail, "")
        fixture.setCacheHealth(Service.Degraded, "evicting 5000/s")
        tryCompare(child(cache, "health"), "text", "Degraded")
        compare(child(cache, "health").detail, "evicting 5000/s")
        compare(child(cache, "supervisionLine").visible, false) // the columns say it

        table.width = 520
        tryCompare(table.view, "width", table.availableWidth)
        compare(child(cache, "health").visible, false)
        compare(child(db, "restarts").visible, false)
        compare(child(cache, "supervisionLine").text, "Degraded: evicting 5000/s")
        compare(child(db, "supervisionLine").text, "restarts: 1")
        compare(child(db, "supervisionLine").visible, true)
        compare(child(row(0), "supervisionLine").visible, false) // config: nothing to say
    }

    function test_columnsGiveWayAsItNarrows_data() {
        return [
            { tag: "1280", width: 1280, errorInline: true, tasks: true, restarts: true,
              health: true, times: true },
            { tag: "800", width: 800, errorInline: false, tasks: true, restarts: true,
              health: true, times: true },
            { tag: "700", width: 700, errorInline: false, tasks: false, restarts: true,
              health: true, times: true },
            { tag: "600", width: 600, errorInline: false, tasks: false, restarts: false,
              health: true, times: true },
            { tag: "520", width: 520, errorInline: false, tasks: false, restarts: false,
              health: false, times: true },
            { tag: "360", width: 360, errorInline: false, tasks: false, restarts: false,
              health: false, times: false },
        ]
    }

    function test_columnsGiveWayAsItNarrows(data) {
        manager.requestStart()
        tryCompare(manager, "state", Service.Running, 5000)
        table.width = data.width
        tryCompare(table.view, "width", table.availableWidth) // laid out as the frame is polished
        compare(table.errorInline, data.errorInline)
        compare(table.showTasks, data.tasks)
        compare(table.showTimes, data.times)
        compare(table.showRestarts, data.restarts)
        compare(table.showHealth, data.health)
        compare(child(row(0), "tasks").visible, data.tasks)
        compare(child(row(0), "startTime").visible, data.times)
        compare(child(row(0), "restarts").visible, data.restarts)
        compare(child(row(0), "health").visible, data.health)
        // The columns fill the row exactly: nothing cut off, no space left unused.
        const c = table.columns
        const columns = c.nameColumn + c.stateColumn + (data.times ? 2 * c.timeColumn : 0)
                + (data.tasks ? c.tasksColumn : 0) + (data.restarts ? c.restartsColumn : 0)
                + (data.health ? c.healthColumn : 0) + c.errorColumn
        fuzzyCompare(columns + 2 * c.padding, table.view.width, 1)
        verify(c.nameColumn > 0)
        const badge = child(row(0), "badge")
        verify(badge.mapToItem(table, badge.width, 0).x <= table.width, "badge cut off")
    }
}
