#include "servicetabledelegate_p.h"

#include <QLifecycle/servicemodel.h>
#include <QLifecycle/widgets/servicetableview.h>

#include <QtGui/QMouseEvent>
#include <QtGui/QPainter>
#include <QtWidgets/QApplication>
#include <QtWidgets/QStyle>

namespace QLifecycle::WidgetsPrivate {

namespace {
QColor blend(const QColor &under, const QColor &over, qreal amount)
{
    const auto mix = [amount](int a, int b) { return int(a + (b - a) * amount); };
    return QColor(mix(under.red(), over.red()), mix(under.green(), over.green()),
                  mix(under.blue(), over.blue()));
}

bool isDark(const QPalette &palette)
{
    return palette.color(QPalette::Base).lightness() < 128;
}

const QStyle *styleOf(const QStyleOptionViewItem &option)
{
    return option.widget ? option.widget->style() : QApplication::style();
}
} // namespace

QColor stateColor(QService::State state, const QPalette &palette)
{
    QColor hue;
    switch (state) {
    case QService::State::Running:
        hue = QColor(46, 160, 67);
        break;
    case QService::State::Starting:
        hue = QColor(33, 118, 210);
        break;
    case QService::State::Stopping:
        hue = QColor(204, 132, 0);
        break;
    case QService::State::Failed:
        hue = QColor(214, 52, 52);
        break;
    case QService::State::Stopped:
        // No hue of its own: between the text and the base, as inactive things are.
        return blend(palette.color(QPalette::Base), palette.color(QPalette::Text), 0.55);
    }
    return isDark(palette) ? hue.lighter(135) : hue.darker(115);
}

QColor healthColor(QService::Health health, const QPalette &palette)
{
    switch (health) {
    case QService::Health::Degraded:
        return isDark(palette) ? QColor(255, 183, 77) : QColor(176, 106, 0);
    case QService::Health::Unhealthy:
        return stateColor(QService::State::Failed, palette);
    case QService::Health::Healthy:
        break;
    }
    return stateColor(QService::State::Running, palette);
}

ServiceTableDelegate::ServiceTableDelegate(std::function<void()> retry, QObject *parent)
    : QStyledItemDelegate(parent), m_retry(std::move(retry))
{
}

QRect ServiceTableDelegate::buttonRect(const QStyleOptionViewItem &option, const QString &text)
{
    const int width =
        option.fontMetrics.horizontalAdvance(text) + 4 * option.fontMetrics.height() / 3;
    const int height = std::min(option.rect.height() - 2, option.fontMetrics.height() + 8);
    QRect rect(0, 0, std::min(width, option.rect.width() - 4), height);
    rect.moveCenter(option.rect.center());
    rect.moveLeft(option.rect.left() + 2);
    return rect;
}

void ServiceTableDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                                 const QModelIndex &index) const
{
    if (index.column() == ServiceTableView::StateColumn) {
        paintBadge(painter, option, index);
        return;
    }
    if (index.column() == ServiceTableView::HealthColumn &&
        index.data().toString() != QStringLiteral("\u2014")) {
        paintHealth(painter, option, index);
        return;
    }
    if (index.column() == ServiceTableView::RestartsColumn &&
        index.data(ServiceModel::RestartDelayMsRole).toLongLong() >= 0) {
        // A restart is pending: in amber, as something about to happen.
        QStyleOptionViewItem pending = option;
        const QColor amber = isDark(option.palette) ? QColor(255, 183, 77) : QColor(138, 75, 0);
        pending.palette.setColor(QPalette::Text, amber);
        QStyledItemDelegate::paint(painter, pending, index);
        return;
    }
    if (index.column() == ServiceTableView::ActionColumn) {
        QStyleOptionViewItem background = option;
        initStyleOption(&background, index);
        const QString text = background.text;
        background.text.clear();
        styleOf(option)->drawControl(QStyle::CE_ItemViewItem, &background, painter, option.widget);
        if (!text.isEmpty())
            paintButton(painter, option, text);
        return;
    }
    QStyledItemDelegate::paint(painter, option, index);
}

void ServiceTableDelegate::paintBadge(QPainter *painter, const QStyleOptionViewItem &option,
                                      const QModelIndex &index) const
{
    QStyleOptionViewItem item = option;
    initStyleOption(&item, index);
    const QString text = item.text;
    item.text.clear();
    styleOf(option)->drawControl(QStyle::CE_ItemViewItem, &item, painter, option.widget);

    const auto state = index.data(ServiceModel::StateRole).value<QService::State>();
    const QPalette &palette = option.palette;
    const QColor color = stateColor(state, palette);
    const QFontMetrics &metrics = option.fontMetrics;
    const int dot = metrics.height() / 2;
    const int padding = metrics.height() / 2;
    QRect badge(
        0, 0,
        std::min(option.rect.width() - 4, metrics.horizontalAdvance(text) + dot + 3 * padding),
        std::min(option.rect.height() - 4, metrics.height() + 4));
    badge.moveCenter(option.rect.center());
    badge.moveLeft(option.rect.left() + 2);

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setPen(QPen(color, 1));
    painter->setBrush(blend(palette.color(QPalette::Base), color, 0.22));
    painter->drawRoundedRect(QRectF(badge).adjusted(0.5, 0.5, -0.5, -0.5), badge.height() / 2.0,
                             badge.height() / 2.0);
    painter->setPen(Qt::NoPen);
    painter->setBrush(color);
    const QRect dotRect(badge.left() + padding, badge.center().y() - dot / 2, dot, dot);
    painter->drawEllipse(dotRect);
    painter->setPen(palette.color(QPalette::Text));
    const QRect textRect = badge.adjusted(padding + dot + padding / 2, 0, -padding / 2, 0);
    painter->drawText(textRect, Qt::AlignVCenter | Qt::AlignLeft,
                      metrics.elidedText(text, Qt::ElideRight, textRect.width()));
    painter->restore();
}

void ServiceTableDelegate::paintHealth(QPainter *painter, const QStyleOptionViewItem &option,
                                       const QModelIndex &index) const
{
    QStyleOptionViewItem item = option;
    initStyleOption(&item, index);
    const QString text = item.text;
    item.text.clear();
    styleOf(option)->drawControl(QStyle::CE_ItemViewItem, &item, painter, option.widget);

    const auto health = index.data(ServiceModel::HealthRole).value<QService::Health>();
    const QFontMetrics &metrics = option.fontMetrics;
    const int dot = metrics.height() / 2;
    const int margin = metrics.height() / 3;
    const QRect dotRect(option.rect.left() + margin, option.rect.center().y() - dot / 2, dot, dot);
    const QRect textRect = option.rect.adjusted(margin + dot + margin, 0, -margin, 0);
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setPen(Qt::NoPen);
    painter->setBrush(healthColor(health, option.palette));
    painter->drawEllipse(dotRect);
    painter->setPen(option.palette.color(
        option.state & QStyle::State_Selected ? QPalette::HighlightedText : QPalette::Text));
    painter->drawText(textRect, Qt::AlignVCenter | Qt::AlignLeft,
                      metrics.elidedText(text, Qt::ElideRight, textRect.width()));
    painter->restore();
}

void ServiceTableDelegate::paintButton(QPainter *painter, const QStyleOptionViewItem &option,
                                       const QString &text) const
{
    QStyleOptionButton button;
    button.rect = buttonRect(option, text);
    button.text = text;
    button.palette = option.palette;
    button.fontMetrics = option.fontMetrics;
    button.state = QStyle::State_Enabled | QStyle::State_Raised;
    if (m_pressed.isValid() && option.state & QStyle::State_MouseOver)
        button.state |= QStyle::State_Sunken;
    styleOf(option)->drawControl(QStyle::CE_PushButton, &button, painter, option.widget);
}

QSize ServiceTableDelegate::sizeHint(const QStyleOptionViewItem &option,
                                     const QModelIndex &index) const
{
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    const int height = option.fontMetrics.height() + 10;
    size.setHeight(std::max(size.height(), height));
    if (index.column() == ServiceTableView::StateColumn) {
        // As wide as the widest state, so that the column does not change with the states.
        int text = 0;
        for (const char *name : {"Starting", "Stopping", "Running", "Stopped", "Failed"})
            text = std::max(text, option.fontMetrics.horizontalAdvance(QLatin1String(name)));
        size.setWidth(text + option.fontMetrics.height() * 3);
    }
    if (index.column() == ServiceTableView::HealthColumn) {
        // The widest health and its dot: the column does not change with the healths.
        int text = 0;
        for (const char *name : {"Healthy", "Degraded", "Unhealthy"})
            text = std::max(text, option.fontMetrics.horizontalAdvance(QLatin1String(name)));
        size.setWidth(text + option.fontMetrics.height() * 3 / 2);
    }
    if (index.column() == ServiceTableView::ActionColumn)
        size.rwidth() = std::max(size.width(), option.fontMetrics.height() * 4);
    return size;
}

bool ServiceTableDelegate::editorEvent(QEvent *event, QAbstractItemModel *model,
                                       const QStyleOptionViewItem &option, const QModelIndex &index)
{
    if (index.column() != ServiceTableView::ActionColumn)
        return QStyledItemDelegate::editorEvent(event, model, option, index);
    const QString text = index.data().toString();
    if (text.isEmpty())
        return false;
    const bool press = event->type() == QEvent::MouseButtonPress;
    const bool release = event->type() == QEvent::MouseButtonRelease;
    if (!press && !release)
        return false;
    const auto *mouse = static_cast<QMouseEvent *>(event);
    const bool inside = buttonRect(option, text).contains(mouse->position().toPoint());
    if (press) {
        m_pressed = inside ? QPersistentModelIndex(index) : QPersistentModelIndex();
        return inside;
    }
    const bool clicked = inside && m_pressed == index;
    m_pressed = QPersistentModelIndex();
    if (clicked && m_retry)
        m_retry();
    return clicked;
}

} // namespace QLifecycle::WidgetsPrivate
