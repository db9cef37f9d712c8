# tst_notes: NOTES is the example's executable, WORK_DIR a scratch directory.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

# run(<name> <expected output regex> <arguments...>)
function(run name expected)
    set(png ${WORK_DIR}/${name}.png)
    execute_process(COMMAND ${NOTES} --screenshot ${png} ${ARGN}
        RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
    if(NOT rc STREQUAL "0")
        message(FATAL_ERROR "${name}: exit code ${rc}\n${out}\n${err}")
    endif()
    if(NOT EXISTS ${png})
        message(FATAL_ERROR "${name}: no screenshot\n${out}\n${err}")
    endif()
    if(NOT "${out}\n${err}" MATCHES "${expected}")
        message(FATAL_ERROR "${name}: the output does not match \"${expected}\"\n${out}\n${err}")
    endif()
    message(STATUS "${name}: ok")
endfunction()

run(step1 "screenshot: [0-9]+x[0-9]+ window saved" --step 1)
run(step2 "screenshot: " --step 2 --screenshot-when stopping)
run(step3 "screenshot: " --step 3 --screenshot-when starting)
# The quit guard asks (the shot is taken while its dialog is up), the second quit goes on
# without the answer, and the services stop cleanly.
run(step4 "unsaved changes, asking before quitting" --step 4 --modified --screenshot-when closing)
run(step5 "screenshot: " --step 5 --screenshot-when indexed)
run(step6 "screenshot: " --step 6 --screenshot-when starting)

# A usage error names the option.
execute_process(COMMAND ${NOTES} --step 9 RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc STREQUAL "2" OR NOT err MATCHES "--step")
    message(FATAL_ERROR "--step 9: exit code ${rc}, \"${err}\"")
endif()
