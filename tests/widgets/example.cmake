# Run by ctest: the widgets example as a real process, offscreen. For each moment it renders a
# screenshot (--screenshot), quits by itself, and must exit 0 with a PNG written.
#   cmake -DEXAMPLE=<qlifecycle-widgets> -DWORK_DIR=... -P example.cmake
foreach(var EXAMPLE WORK_DIR)
    if(NOT ${var})
        message(FATAL_ERROR "example.cmake needs -D${var}=...")
    endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
foreach(moment running starting stopping)
    foreach(palette light dark)
        set(png ${WORK_DIR}/${moment}-${palette}.png)
        execute_process(
            COMMAND ${CMAKE_COMMAND} -E env QT_QPA_PLATFORM=offscreen
                ${EXAMPLE} --screenshot ${png} --screenshot-when ${moment} --palette ${palette}
            RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
        if(NOT result EQUAL 0)
            message(FATAL_ERROR "--screenshot-when ${moment} --palette ${palette}: exit code "
                "${result}\n${out}\n${err}")
        endif()
        if(NOT EXISTS ${png})
            message(FATAL_ERROR "--screenshot-when ${moment}: no ${png}\n${out}\n${err}")
        endif()
        file(READ ${png} magic LIMIT 8 HEX)
        if(NOT magic STREQUAL "89504e470d0a1a0a")
            message(FATAL_ERROR "${png} is no PNG (it starts with ${magic})")
        endif()
        message(STATUS "${moment}, ${palette}: ${out}")
    endforeach()
endforeach()
# A failed start: the window is shot with the error, then the run ends with exit code 1.
set(png ${WORK_DIR}/failed.png)
execute_process(COMMAND ${CMAKE_COMMAND} -E env QT_QPA_PLATFORM=offscreen
    ${EXAMPLE} --fail-start Cache --screenshot ${png} --screenshot-when failed
    RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
if(NOT result EQUAL 1 OR NOT EXISTS ${png})
    message(FATAL_ERROR "--fail-start Cache: exit code ${result}, not 1 with ${png}\n${out}\n${err}")
endif()
# A flaky service: shot only once it was restarted, failed again and waits for its next restart;
# the quit then cancels that restart, and the run ends cleanly.
set(png ${WORK_DIR}/flaky.png)
execute_process(COMMAND ${CMAKE_COMMAND} -E env QT_QPA_PLATFORM=offscreen
    ${EXAMPLE} --flaky Network --screenshot ${png} --screenshot-when restart
    RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
if(NOT result EQUAL 0 OR NOT EXISTS ${png})
    message(FATAL_ERROR "--flaky Network: exit code ${result}, not 0 with ${png}\n${out}\n${err}")
endif()
if(NOT err MATCHES "Network: crashed: task 'flaky' failed: connection dropped; restarting")
    message(FATAL_ERROR "--flaky Network: no restart logged\n${err}")
endif()
# A usage error is told apart from a failure.
execute_process(COMMAND ${CMAKE_COMMAND} -E env QT_QPA_PLATFORM=offscreen
    ${EXAMPLE} --palette purple RESULT_VARIABLE result OUTPUT_QUIET ERROR_QUIET TIMEOUT 60)
if(NOT result EQUAL 2)
    message(FATAL_ERROR "--palette purple: exit code ${result}, not 2")
endif()
