import QtQml
import QtQml.Models
import QLifecycle

QtObject {
    property ServiceManager manager: theManager
    readonly property bool running: manager.state === Service.Running
    property ServiceModel serviceModel: ServiceModel { manager: theManager }
    readonly property int rows: serviceModel.count
    property Instantiator each: Instantiator {
        model: serviceModel
        delegate: QtObject { readonly property string serviceName: model.name }
    }
    readonly property string firstRow: each.count > 0 ? each.objectAt(0).serviceName : ""
}
